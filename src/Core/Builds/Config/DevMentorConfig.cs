namespace DevMentor.Core.Builds.Config;

/// <summary>The parsed <c>.devmentor.yml</c>. Every field is optional; absent means "keep what was detected".</summary>
/// <param name="Detect">false: use only the steps written here, no detection.</param>
public sealed record DevMentorConfig(
    bool Detect,
    IReadOnlyList<ConfigStep> Steps,
    IReadOnlyList<string> Artifacts,
    ConfigImage? Image,
    IReadOnlyList<DeployEnvironment> Deploy)
{
    public static DevMentorConfig Empty { get; } = new(true, [], [], null, []);
}

/// <summary>
/// A step in the config. With the name of a detected step (install, test, build, package) it
/// overrides only the fields it sets; with a new name it adds a step.
/// </summary>
/// <param name="Skip">Drop the detected step of this name.</param>
public sealed record ConfigStep(
    string Name,
    IReadOnlyList<IReadOnlyList<string>>? Commands,
    IReadOnlyDictionary<string, string>? Env,
    int? TimeoutSeconds,
    int? Retries,
    StepCondition? When,
    IReadOnlyList<string>? Artifacts,
    bool Skip);

/// <param name="Disabled">image: false — do not build the detected Containerfile.</param>
public sealed record ConfigImage(string? File, string? Context, IReadOnlyList<string> Tags, bool Disabled);

/// <summary>A position in the file (1-based, as editors show it).</summary>
public sealed record ConfigProblem(long Line, long Column, string Message)
{
    public override string ToString() => $"line {Line}, column {Column}: {Message}";
}

/// <summary>The config cannot be used; the run fails before any command runs.</summary>
public sealed class DevMentorConfigException(string file, IReadOnlyList<ConfigProblem> problems, Exception? inner = null)
    : Exception(string.Join(Environment.NewLine, problems.Select(p => $"{file}:{p.Line}:{p.Column}: {p.Message}")), inner)
{
    public string File { get; } = file;
    public IReadOnlyList<ConfigProblem> Problems { get; } = problems;
    public long Line => Problems[0].Line;
    public long Column => Problems[0].Column;
}
