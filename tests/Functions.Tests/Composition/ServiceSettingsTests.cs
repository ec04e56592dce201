using DevMentor.Functions.Composition;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Functions.Tests.Composition;

public sealed class ServiceSettingsTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Defaults_need_no_configuration()
    {
        var settings = ServiceSettings.Load(Config(), "/srv/app");

        Assert.Equal("/srv/app/.devmentor", settings.DataDirectory);
        Assert.Null(settings.PostgresConnectionString);
        Assert.Equal(1024 * 1024, settings.MaxRequestBodyBytes);
        Assert.True(settings.SchedulerEnabled);
        Assert.False(settings.UnderFunctionsHost);
    }

    [Fact]
    public void Under_the_functions_host_the_scheduler_is_off_unless_asked_for()
    {
        var settings = ServiceSettings.Load(Config(), "/srv/app", underFunctionsHost: true);
        var asked = ServiceSettings.Load(Config(("Scheduler:Enabled", "true")), "/srv/app", underFunctionsHost: true);

        Assert.True(settings.UnderFunctionsHost);
        Assert.False(settings.SchedulerEnabled);
        Assert.True(asked.SchedulerEnabled);
    }

    [Fact]
    public void Every_invalid_value_is_reported_naming_its_key()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => ServiceSettings.Load(Config(
            ("ConnectionStrings:Postgres", "Host=x;Nonsense Key=1"),
            ("Limits:MaxRequestBodyBytes", "big"),
            ("Scheduler:Enabled", "sometimes"),
            ("Host:CORS", "not-an-origin")), "/srv/app"));

        Assert.Equal(4, error.Problems.Count);
        foreach (var key in new[] { "ConnectionStrings:Postgres", "Limits:MaxRequestBodyBytes", "Scheduler:Enabled", "Host:CORS" })
        {
            Assert.Contains(error.Problems, p => p.StartsWith(key + ":", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_executable_refuses_to_start_with_invalid_configuration_naming_the_key()
    {
        var workDir = Directory.CreateTempSubdirectory("badconfig-").FullName;
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?> { ["Limits__MaxRequestBodyBytes"] = "-5" });

        Assert.Equal(2, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Limits:MaxRequestBodyBytes: '-5' is not a whole number", service.Output, StringComparison.Ordinal);
    }
}
