using System.Globalization;
using DevMentor.Core.Pipelines;

namespace DevMentor.Runner;

/// <summary>Runner:* settings (command line --Runner:Server=..., or environment Runner__Server=...).</summary>
/// <param name="ExitWhenIdle">Runner:ExitWhenIdleSeconds: stop (exit 0) after this long without a step; null runs until stopped.</param>
public sealed record RemoteRunnerSettings(Uri Server, string? Token, string? RegistrationToken, string Name, RunnerOptions Options, TimeSpan? ExitWhenIdle = null)
{
    public static RemoteRunnerSettings Load(IConfiguration configuration)
    {
        var problems = new List<string>();
        if (!Uri.TryCreate(configuration["Runner:Server"], UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            problems.Add("Runner:Server: the service's base URL, e.g. http://127.0.0.1:3004, is required.");
        }

        var token = Empty(configuration["Runner:Token"]);
        var registration = Empty(configuration["Runner:RegistrationToken"]);
        if (token is null && registration is null)
        {
            problems.Add("Runner:Token or Runner:RegistrationToken is required.");
        }

        var workers = 1;
        if (Empty(configuration["Runner:Workers"]) is { } rawWorkers &&
            (!int.TryParse(rawWorkers, NumberStyles.Integer, CultureInfo.InvariantCulture, out workers) || workers is < 1 or > 256))
        {
            problems.Add($"Runner:Workers: '{rawWorkers}' is not a whole number from 1 to 256.");
        }

        var heartbeat = 2.0;
        if (Empty(configuration["Runner:HeartbeatSeconds"]) is { } rawHeartbeat &&
            (!double.TryParse(rawHeartbeat, NumberStyles.Float, CultureInfo.InvariantCulture, out heartbeat) || heartbeat is < 0.05 or > 600))
        {
            problems.Add($"Runner:HeartbeatSeconds: '{rawHeartbeat}' is not a number from 0.05 to 600.");
        }

        var isolate = true;
        if (Empty(configuration["Runner:Isolate"]) is { } rawIsolate && !bool.TryParse(rawIsolate, out isolate))
        {
            problems.Add($"Runner:Isolate: '{rawIsolate}' is not true or false.");
        }

        TimeSpan? exitWhenIdle = null;
        if (Empty(configuration["Runner:ExitWhenIdleSeconds"]) is { } rawIdle)
        {
            if (double.TryParse(rawIdle, NumberStyles.Float, CultureInfo.InvariantCulture, out var idleSeconds) && idleSeconds is >= 0.1 and <= 86_400)
            {
                exitWhenIdle = TimeSpan.FromSeconds(idleSeconds);
            }
            else
            {
                problems.Add($"Runner:ExitWhenIdleSeconds: '{rawIdle}' is not a number of seconds from 0.1 to 86400.");
            }
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }

        var labels = (configuration["Runner:Labels"] ?? "linux").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var options = new RunnerOptions
        {
            Workers = workers,
            Labels = labels,
            WorkDirectory = Path.GetFullPath(Empty(configuration["Runner:WorkDirectory"]) ?? Path.Combine(Path.GetTempPath(), "devmentor-runner")),
            Isolate = isolate,
            StepUser = Empty(configuration["Runner:StepUser"]),
            SandboxReadOnlyPaths = Paths(configuration["Runner:ReadOnlyPaths"]),
            SandboxWritablePaths = Paths(configuration["Runner:WritablePaths"]),
            HeartbeatInterval = TimeSpan.FromSeconds(heartbeat),
            Secrets = Core.Builds.Runs.BuildStepConfiguration.Secrets(configuration),
        };
        // The runner's own files and its configuration's folder never appear in a step's view.
        options = options with { HiddenPaths = [options.WorkDirectory, AppContext.BaseDirectory, Environment.CurrentDirectory] };
        return new RemoteRunnerSettings(server!, token, registration, Empty(configuration["Runner:Name"]) ?? Environment.MachineName, options, exitWhenIdle);
    }

    private static List<string> Paths(string? raw) =>
        (raw ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(Path.IsPathRooted).ToList();

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
