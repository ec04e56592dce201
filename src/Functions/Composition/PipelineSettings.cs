using System.Globalization;
using System.Text.Json;
using DevMentor.Core.Pipelines;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Pipelines:* and Runners:* settings, validated at start like <see cref="ServiceSettings"/>:
/// every problem collected, each naming its key.
/// </summary>
/// <param name="CloneRepositories">Runs of projects with a repository start with the clone step that plans them (false: every run uses the default definition).</param>
/// <param name="OutboxDispatch">Pipelines:Outbox:Dispatch: whether this instance drains the run outbox into Durable (another instance may).</param>
public sealed record PipelineSettings(PipelineOptions Engine, RunnerOptions Runner, bool EmbeddedRunnerEnabled, string? RegistrationToken, bool CloneRepositories = true, bool OutboxDispatch = true)
{
    public static PipelineSettings Load(IConfiguration configuration, ServiceSettings service)
    {
        var problems = new List<string>();
        var defaults = new PipelineOptions();

        var lease = Seconds(configuration, "Pipelines:LeaseSeconds", defaults.LeaseDuration, 0.1, 3600, problems);
        var heartbeat = Seconds(configuration, "Pipelines:HeartbeatSeconds", TimeSpan.FromSeconds(2), 0.05, 600, problems);
        if (heartbeat * 3 > lease)
        {
            problems.Add($"Pipelines:HeartbeatSeconds: {heartbeat.TotalSeconds} s must be at most a third of Pipelines:LeaseSeconds ({lease.TotalSeconds} s), or a slow heartbeat loses the lease.");
        }

        var definition = defaults.DefaultDefinition;
        if (configuration["Pipelines:DefaultDefinition"] is { Length: > 0 } json)
        {
            try
            {
                definition = JsonSerializer.Deserialize(json, PipelineJsonContext.Default.PipelineDefinition)!;
                problems.AddRange(PipelineDefinitionValidator.Validate(definition).Select(p => $"Pipelines:DefaultDefinition: {p}"));
            }
            catch (JsonException e)
            {
                problems.Add($"Pipelines:DefaultDefinition: not a valid definition ({e.Message}).");
            }
        }

        var engine = new PipelineOptions
        {
            LeaseDuration = lease,
            DefaultMaxAttempts = SettingValues.Int(configuration, "Pipelines:Retry:MaxAttempts", defaults.DefaultMaxAttempts, 1, 20, problems),
            DefaultFirstRetryDelay = Seconds(configuration, "Pipelines:Retry:FirstDelaySeconds", defaults.DefaultFirstRetryDelay, 0, 3600, problems),
            DefaultRetryFactor = Number(configuration, "Pipelines:Retry:Factor", defaults.DefaultRetryFactor, 1, 10, problems),
            RetryJitter = Number(configuration, "Pipelines:Retry:Jitter", defaults.RetryJitter, 0, 1, problems),
            DefaultStepTimeout = Seconds(configuration, "Pipelines:StepTimeoutSeconds", defaults.DefaultStepTimeout, 1, 86_400, problems),
            DeployTimeout = Seconds(configuration, "Pipelines:DeployTimeoutSeconds", defaults.DeployTimeout, 1, 86_400, problems),
            MaxRunningRunsPerProject = SettingValues.Int(configuration, "Pipelines:MaxRunningRunsPerProject", defaults.MaxRunningRunsPerProject, 1, 10_000, problems),
            MaxRunningRuns = SettingValues.Int(configuration, "Pipelines:MaxRunningRuns", defaults.MaxRunningRuns, 0, 1_000_000, problems),
            PollInterval = Seconds(configuration, "Pipelines:PollIntervalSeconds", defaults.PollInterval, 0.01, 60, problems),
            // Under the Functions host an activity's time is billed and a runner's completion usually reaches another
            // instance than the waiting activity: off by default there.
            StepOutcomeWait = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Pipelines:StepOutcomeWaitMilliseconds",
                service.UnderFunctionsHost ? 0 : (int)defaults.StepOutcomeWait.TotalMilliseconds, 0, 30_000, problems)),
            DefaultDefinition = definition,
            MaxLogBytes = SettingValues.Int(configuration, "Pipelines:MaxLogBytes", 10 * 1024 * 1024, 1024, int.MaxValue, problems),
        };

        var labels = (configuration["Pipelines:Runner:Labels"] ?? "linux")
            .Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var runner = new RunnerOptions
        {
            Workers = SettingValues.Int(configuration, "Pipelines:Runner:Workers", Environment.ProcessorCount, 0, 256, problems),
            Labels = labels,
            WorkDirectory = Path.GetFullPath(configuration["Pipelines:Runner:WorkDirectory"] is { Length: > 0 } work ? work : Path.Combine(service.DataDirectory, "work")),
            // One service per data dir (its lock), so the machine and the data dir's path name this runner across restarts.
            StableIdentity = $"{Environment.MachineName}-{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(service.DataDirectory))))[..10]}",
            Isolate = SettingValues.Bool(configuration, "Pipelines:Runner:Isolate", true, problems),
            StepUser = configuration["Pipelines:Runner:StepUser"] is { Length: > 0 } stepUser ? stepUser : null,
            SandboxReadOnlyPaths = Paths(configuration["Pipelines:Runner:ReadOnlyPaths"]),
            SandboxWritablePaths = Paths(configuration["Pipelines:Runner:WritablePaths"]),
            HiddenPaths = [service.DataDirectory, AppContext.BaseDirectory, Environment.CurrentDirectory, .. Paths(configuration["Pipelines:Runner:WorkDirectory"])],
            HeartbeatInterval = heartbeat,
            MaxLogBytes = SettingValues.Int(configuration, "Pipelines:Runner:MaxLogBytes", 10 * 1024 * 1024, 1024, int.MaxValue, problems),
            Secrets = Core.Builds.Runs.BuildStepConfiguration.Secrets(configuration),
        };

        // Under the Functions host there is no long-lived process to run steps in: runners do it.
        var embedded = SettingValues.Bool(configuration, "Pipelines:Runner:Enabled", !service.UnderFunctionsHost, problems) && runner.Workers > 0;
        var cloneRepositories = SettingValues.Bool(configuration, "Pipelines:CloneRepositories", true, problems);
        var registration = configuration["Runners:RegistrationToken"] is { Length: > 0 } token ? token : null;
        var dispatch = SettingValues.Bool(configuration, "Pipelines:Outbox:Dispatch", true, problems);
        if (registration is { Length: < 16 })
        {
            problems.Add("Runners:RegistrationToken: use at least 16 characters.");
        }

        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        return new PipelineSettings(engine, runner, embedded, registration, cloneRepositories, dispatch);
    }

    /// <summary>A comma-separated list of absolute paths.</summary>
    public static IReadOnlyList<string> Paths(string? raw) =>
        (raw ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(Path.IsPathRooted).ToList();

    private static TimeSpan Seconds(IConfiguration configuration, string key, TimeSpan fallback, double min, double max, List<string> problems) =>
        TimeSpan.FromSeconds(Number(configuration, key, fallback.TotalSeconds, min, max, problems));

    private static double Number(IConfiguration configuration, string key, double fallback, double min, double max, List<string> problems)
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }

        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        problems.Add($"{key}: '{raw}' is not a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
        return fallback;
    }
}
