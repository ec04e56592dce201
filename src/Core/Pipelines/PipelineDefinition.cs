using System.Text.Json.Serialization;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// What a run executes, pinned as JSON in the run when it starts so later changes never alter a
/// running build. Commands are argv arrays run without a shell.
/// </summary>
public sealed record PipelineDefinition(IReadOnlyList<StepDefinition> Steps);

/// <param name="Uses">A built-in step (<see cref="Execution.IBuiltInStep"/>) run instead of <paramref name="Commands"/>.</param>
/// <param name="With">Settings for the built-in step.</param>
/// <param name="Artifacts">Globs, relative to the workspace, of files kept as the run's artifacts when the step succeeds.</param>
/// <param name="Reports">Globs of test and coverage reports (TRX, JUnit, Cobertura) read after the step, also when it failed.</param>
/// <param name="Restore">
/// Re-run into a fresh workspace when a runner takes up a later step of the run without having
/// its workspace (clone, install). Null means: true for steps named clone or install.
/// </param>
public sealed record StepDefinition(
    string Name,
    IReadOnlyList<IReadOnlyList<string>> Commands,
    int? TimeoutSeconds = null,
    RetryPolicy? Retry = null,
    IReadOnlyList<string>? Requires = null,
    bool? Restore = null,
    IReadOnlyDictionary<string, string>? Env = null,
    string? Uses = null,
    IReadOnlyDictionary<string, string>? With = null,
    IReadOnlyList<string>? Artifacts = null,
    IReadOnlyList<string>? Reports = null)
{
    [JsonIgnore]
    public bool RestoresWorkspace => Restore ?? Name is "clone" or "install";
}

/// <summary>Infrastructure-failure retries: exponential backoff from <see cref="FirstDelaySeconds"/>, times <see cref="Factor"/> per attempt.</summary>
/// <param name="OnExitCodes">
/// Exit codes that mean "the infrastructure failed", not "the build failed" (git exits 128 when
/// the network is down): retried like a lost runner. Any other non-zero exit is final.
/// </param>
public sealed record RetryPolicy(int? MaxAttempts = null, double? FirstDelaySeconds = null, double? Factor = null, IReadOnlyList<int>? OnExitCodes = null);

public sealed class InvalidPipelineDefinitionException(IReadOnlyList<string> problems)
    : Exception(string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

public static class PipelineDefinitionValidator
{
    public const int MaxSteps = 50;
    public const int MaxCommandsPerStep = 100;

    /// <summary>Every problem at once, each naming where it is (steps[1].commands[0]).</summary>
    public static IReadOnlyList<string> Validate(PipelineDefinition? definition)
    {
        var problems = new List<string>();
        if (definition?.Steps is not { Count: > 0 } steps)
        {
            problems.Add("steps: at least one step is required.");
            return problems;
        }

        if (steps.Count > MaxSteps)
        {
            problems.Add($"steps: at most {MaxSteps} steps.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var at = $"steps[{i}]";
            if (step is null)
            {
                problems.Add($"{at}: must be an object.");
                continue;
            }

            if (string.IsNullOrWhiteSpace(step.Name) || step.Name.Length > 64 || !step.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                problems.Add($"{at}.name: 1-64 characters of letters, digits, '-', '_' or '.'.");
            }
            else if (!names.Add(step.Name))
            {
                problems.Add($"{at}.name: '{step.Name}' is used twice.");
            }

            if (step.Commands is null || step.Commands.Count > MaxCommandsPerStep)
            {
                problems.Add($"{at}.commands: a list of at most {MaxCommandsPerStep} commands is required.");
            }
            else
            {
                for (var c = 0; c < step.Commands.Count; c++)
                {
                    if (step.Commands[c] is not { Count: > 0 } argv || argv.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)) || string.IsNullOrWhiteSpace(argv[0]))
                    {
                        problems.Add($"{at}.commands[{c}]: an argv array with a program name and no NUL characters.");
                    }
                }
            }

            if (step.TimeoutSeconds is < 1 or > 86_400)
            {
                problems.Add($"{at}.timeoutSeconds: from 1 to 86400.");
            }

            if (step.Retry is { } retry)
            {
                if (retry.MaxAttempts is < 1 or > 20)
                {
                    problems.Add($"{at}.retry.maxAttempts: from 1 to 20.");
                }

                if (retry.FirstDelaySeconds is < 0 or > 3600 || retry.FirstDelaySeconds is double d && double.IsNaN(d))
                {
                    problems.Add($"{at}.retry.firstDelaySeconds: from 0 to 3600.");
                }

                if (retry.Factor is < 1 or > 10 || retry.Factor is double f && double.IsNaN(f))
                {
                    problems.Add($"{at}.retry.factor: from 1 to 10.");
                }

                if (retry.OnExitCodes is not null && retry.OnExitCodes.Any(code => code is < 1 or > 255))
                {
                    problems.Add($"{at}.retry.onExitCodes: exit codes from 1 to 255.");
                }
            }

            if (step.Requires is not null && step.Requires.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"{at}.requires: labels must not be empty.");
            }

            if (step.Env is not null && step.Env.Keys.Any(k => string.IsNullOrEmpty(k) || k.Contains('=', StringComparison.Ordinal) || k.Contains('\0', StringComparison.Ordinal)))
            {
                problems.Add($"{at}.env: names must be non-empty without '=' or NUL.");
            }
        }

        return problems;
    }

    public static void EnsureValid(PipelineDefinition? definition)
    {
        var problems = Validate(definition);
        if (problems.Count > 0)
        {
            throw new InvalidPipelineDefinitionException(problems);
        }
    }
}
