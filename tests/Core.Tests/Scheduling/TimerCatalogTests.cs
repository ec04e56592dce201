using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Core.Tests.Scheduling;

public sealed class TimerCatalogTests
{
    private static TimerDefinition FakeTimer(string name, string schedule) => new(name, schedule, (_, _) => Task.CompletedTask);

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Theory]
    [InlineData("0 */5 * * * *")]
    [InlineData("*/15 * * * * *")]
    [InlineData("0 30 9 * * 1-5")]
    public void Accepts_six_field_schedules(string expression)
    {
        Assert.True(TimerCatalog.TryParse(expression, out var schedule, out _));
        Assert.NotNull(schedule);
    }

    [Theory]
    [InlineData("*/5 * * * *", "5 fields")]
    [InlineData("0 0 0 * * * *", "7 fields")]
    [InlineData("61 * * * * *", "out of range")]
    [InlineData("", "0 fields")]
    public void Rejects_anything_but_six_valid_fields(string expression, string why)
    {
        Assert.False(TimerCatalog.TryParse(expression, out _, out var error), why);
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Configuration_overrides_a_schedule()
    {
        var catalog = new TimerCatalog([FakeTimer("Sweep", "0 */5 * * * *")], Config(("Timers:Sweep:Schedule", "*/10 * * * * *")));

        var timer = Assert.Single(catalog.Timers);
        Assert.Equal("*/10 * * * * *", timer.Expression);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 0, 10, DateTimeKind.Utc), timer.NextAfter(new DateTime(2026, 1, 1, 0, 0, 3, DateTimeKind.Utc)));
    }

    [Fact]
    public void An_invalid_override_names_its_key()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new TimerCatalog([FakeTimer("Sweep", "0 */5 * * * *")], Config(("Timers:Sweep:Schedule", "every minute"))));

        Assert.Contains("Timers:Sweep:Schedule", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_names_are_rejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new TimerCatalog([FakeTimer("Sweep", "0 * * * * *"), FakeTimer("sweep", "0 * * * * *")], Config()));

        Assert.Contains("sweep", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
