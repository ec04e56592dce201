namespace DevMentor.Core.Builds;

/// <summary>
/// What a build of one checked-out repository does after clone: the detected (and
/// <c>.devmentor.yml</c>-adjusted) steps as argv commands, plus where the outputs land.
/// It is deliberately independent of the pipeline engine's definition types so detection can
/// be tested on its own; the engine maps <see cref="PlannedStep"/> to its step definitions.
/// </summary>
/// <param name="Steps">In execution order (install, test, build, package, then custom steps where the config put them).</param>
/// <param name="Notes">What was detected from which file, and what was decided: shown in the run.</param>
/// <param name="Artifacts">Workspace-relative paths or globs of the build outputs to keep.</param>
/// <param name="TestReports">Globs of TRX / JUnit XML files the test step writes.</param>
/// <param name="CoverageReports">Globs of Cobertura XML files.</param>
/// <param name="Image">Set when the repository has a Dockerfile/Containerfile (or the config asks for an image).</param>
/// <param name="Deploy">Deployment environments from the config; empty when none are configured.</param>
public sealed record BuildPlan(
    IReadOnlyList<PlannedStep> Steps,
    IReadOnlyList<DetectionNote> Notes,
    IReadOnlyList<string> Artifacts,
    IReadOnlyList<string> TestReports,
    IReadOnlyList<string> CoverageReports,
    ImagePlan? Image,
    IReadOnlyList<DeployEnvironment> Deploy)
{
    public static BuildPlan Empty { get; } = new([], [], [], [], [], null, []);

    public PlannedStep? Step(string name) => Steps.FirstOrDefault(s => s.Name == name);
}

/// <param name="Name">install, test, build, package or a name from the config.</param>
/// <param name="Commands">argv arrays, run without a shell in the workspace root.</param>
/// <param name="MissingToolchain">
/// Set when the program this step needs is not on the runner's PATH; the commands then print a
/// message naming it and exit 127, so the step fails visibly instead of the plan silently shrinking.
/// </param>
/// <param name="Retries">Extra attempts on infrastructure failure (the engine's MaxAttempts is Retries + 1).</param>
/// <param name="Source">Where the step came from: the detected file, or <c>.devmentor.yml</c>.</param>
public sealed record PlannedStep(
    string Name,
    IReadOnlyList<IReadOnlyList<string>> Commands,
    string Source,
    IReadOnlyDictionary<string, string>? Env = null,
    int? TimeoutSeconds = null,
    int? Retries = null,
    StepCondition? When = null,
    IReadOnlyList<string>? Artifacts = null,
    string? MissingToolchain = null);

/// <summary>One line of "what was detected from which file".</summary>
/// <param name="Ecosystem">dotnet, node, python, go, make, container or config.</param>
/// <param name="File">Workspace-relative file that caused the decision (empty when none).</param>
public sealed record DetectionNote(string Ecosystem, string File, string Message)
{
    public override string ToString() => File.Length == 0 ? $"{Ecosystem}: {Message}" : $"{Ecosystem}: {Message} ({File})";
}

/// <summary>A container image to build with buildah; the engine adds registry and tags (commit sha, run number).</summary>
/// <param name="ContextDir">Workspace-relative build context ("." for the root).</param>
/// <param name="File">Workspace-relative Containerfile/Dockerfile.</param>
/// <param name="Tags">Extra tags from the config, besides the ones the engine always adds.</param>
public sealed record ImagePlan(string ContextDir, string File, IReadOnlyList<string> Tags, string Source);

/// <summary>When a step (or an automatic deployment) applies. Null lists mean "any".</summary>
public sealed record StepCondition(IReadOnlyList<string>? Branches, IReadOnlyList<BuildEvent>? Events)
{
    public bool Matches(string? branch, BuildEvent buildEvent)
    {
        if (Events is { Count: > 0 } events && !events.Contains(buildEvent))
        {
            return false;
        }

        if (Branches is not { Count: > 0 } branches)
        {
            return true;
        }

        return branch is not null && branches.Any(glob => BranchGlob.IsMatch(glob, branch));
    }
}

public enum BuildEvent
{
    Push,
    PullRequest,
    Tag,
    Manual,
}

public enum DeployType
{
    Local,
    Webhook,
}

/// <param name="Start">Local: the command that starts the release (argv), run with PORT set.</param>
/// <param name="HealthPath">Local: path probed for a 2xx answer before the release becomes current.</param>
/// <param name="Port">Local: fixed port; null means a free loopback port chosen at deploy time.</param>
/// <param name="HealthTimeoutSeconds">Local: how long the health check may take.</param>
/// <param name="Url">Webhook: where the signed deployment notice is POSTed.</param>
/// <param name="SecretRef">Webhook: name of the configured secret used to sign the notice (never the secret itself).</param>
/// <param name="When">Branches/events that deploy automatically after a successful build; null: only on request.</param>
/// <param name="Approval">When set, a run deploying here waits for an allowed user's approval first.</param>
/// <param name="DeployTimeoutSeconds">How long a run's deploy stage waits for the deployment here (<c>deploy_timeout</c>); null: Pipelines:DeployTimeoutSeconds.</param>
public sealed record DeployEnvironment(
    string Name,
    DeployType Type,
    IReadOnlyList<string>? Start = null,
    string HealthPath = "/",
    int? Port = null,
    int? HealthTimeoutSeconds = null,
    Uri? Url = null,
    string? SecretRef = null,
    StepCondition? When = null,
    IReadOnlyDictionary<string, string>? Env = null,
    DeployApproval? Approval = null,
    int? DeployTimeoutSeconds = null);

/// <summary><c>approval: required</c>: who may approve (project roles, maintainer and up) and how long the run waits.</summary>
public sealed record DeployApproval(IReadOnlyList<string> Approvers, int TimeoutSeconds)
{
    public const int DefaultTimeoutSeconds = 86_400;
    public static readonly IReadOnlyList<string> DefaultApprovers = ["maintainer"];
}
