using DevMentor.Functions.Composition;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Functions.Tests.Composition;

public sealed class PipelineSettingsTests
{
    private static readonly ServiceSettings Standalone = new() { DataDirectory = "/tmp/devmentor-settings-test" };

    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => v.Key, v => v.Value)).Build();

    [Fact]
    public void Defaults_follow_the_issue()
    {
        var settings = PipelineSettings.Load(Config(), Standalone);

        Assert.Equal(TimeSpan.FromSeconds(60), settings.Engine.LeaseDuration);
        Assert.Equal((3, TimeSpan.FromSeconds(5), 2.0), (settings.Engine.DefaultMaxAttempts, settings.Engine.DefaultFirstRetryDelay, settings.Engine.DefaultRetryFactor));
        Assert.Equal(2, settings.Engine.MaxRunningRunsPerProject);
        Assert.Equal(Environment.ProcessorCount, settings.Runner.Workers);
        Assert.True(settings.EmbeddedRunnerEnabled);
        Assert.Equal("/tmp/devmentor-settings-test/work", settings.Runner.WorkDirectory);
        Assert.Null(settings.RegistrationToken);
    }

    [Fact]
    public void The_embedded_runner_is_off_under_the_Functions_host()
    {
        var settings = PipelineSettings.Load(Config(), Standalone with { UnderFunctionsHost = true });

        Assert.False(settings.EmbeddedRunnerEnabled);
    }

    [Fact]
    public void Every_bad_value_is_reported_with_its_key()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => PipelineSettings.Load(Config(
            ("Pipelines:LeaseSeconds", "3"),
            ("Pipelines:HeartbeatSeconds", "2"),
            ("Pipelines:Retry:MaxAttempts", "zero"),
            ("Pipelines:Runner:Workers", "-1"),
            ("Pipelines:Runner:Isolate", "maybe"),
            ("Pipelines:DefaultDefinition", """{"steps":[]}"""),
            ("Runners:RegistrationToken", "short")), Standalone));

        foreach (var key in new[] { "Pipelines:HeartbeatSeconds", "Pipelines:Retry:MaxAttempts", "Pipelines:Runner:Workers", "Pipelines:Runner:Isolate", "Pipelines:DefaultDefinition", "Runners:RegistrationToken" })
        {
            Assert.Contains(error.Problems, p => p.StartsWith(key + ":", StringComparison.Ordinal));
        }
    }
}
