namespace DevMentor.Core.Pipelines;

/// <summary>Engine settings (Pipelines:*); tests shorten the durations through configuration.</summary>
public sealed record PipelineOptions
{
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);
    public int DefaultMaxAttempts { get; init; } = 3;
    public TimeSpan DefaultFirstRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
    public double DefaultRetryFactor { get; init; } = 2;
    /// <summary>Each delay is moved by up to this fraction either way so retries of many steps spread out.</summary>
    public double RetryJitter { get; init; } = 0.2;
    public TimeSpan DefaultStepTimeout { get; init; } = TimeSpan.FromHours(1);
    /// <summary>How long the deploy stage waits for a deployment's end before it stops it and fails the run.</summary>
    public TimeSpan DeployTimeout { get; init; } = TimeSpan.FromSeconds(Orchestration.RunVersions.DefaultDeployTimeoutSeconds);
    public int MaxRunningRunsPerProject { get; init; } = 2;
    /// <summary>0 means no global limit.</summary>
    public int MaxRunningRuns { get; init; } = 100;
    /// <summary>How often an idle worker looks for steps another instance queued (local starts wake it at once).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>
    /// How long a step's queueing activity waits for the step's outcome (run orchestration version 3, ADR 0046):
    /// shorter steps save the orchestration an episode and an event. Zero turns it off.
    /// </summary>
    public TimeSpan StepOutcomeWait { get; init; } = TimeSpan.FromSeconds(2);
    public PipelineDefinition DefaultDefinition { get; init; } = BuiltInDefinition;
    /// <summary>Each step attempt's log is cut here by the service itself, whatever runners send.</summary>
    public long MaxLogBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Placeholder until steps are detected from the repository: every stage runs nothing.</summary>
    public static PipelineDefinition BuiltInDefinition { get; } = new(
    [
        new StepDefinition("clone", []),
        new StepDefinition("install", []),
        new StepDefinition("test", []),
        new StepDefinition("build", []),
    ]);
}

/// <summary>Step execution settings shared by the embedded runner and DevMentor.Runner.</summary>
public sealed record RunnerOptions
{
    public int Workers { get; init; } = Environment.ProcessorCount;
    public IReadOnlyList<string> Labels { get; init; } = ["linux"];
    public required string WorkDirectory { get; init; }
    /// <summary>
    /// The embedded runner's identity across restarts of one service (its machine and data dir): a restarted service
    /// records the steps its killed predecessor held as lost at once, instead of waiting for their leases to lapse.
    /// Null for runners that have no such identity.
    /// </summary>
    public string? StableIdentity { get; init; }
    /// <summary>Runs each command in the step sandbox (<see cref="Execution.StepSandbox"/>); false runs it directly (only for development).</summary>
    public bool Isolate { get; init; } = true;
    /// <summary>The user sandboxed commands run as when the runner is root (a name or uid); null: <see cref="Execution.StepAccount.DefaultName"/>, created when missing.</summary>
    public string? StepUser { get; init; }
    /// <summary>More host paths bound read-only into the sandbox (toolchains outside /usr and /opt).</summary>
    public IReadOnlyList<string> SandboxReadOnlyPaths { get; init; } = [];
    /// <summary>Host directories an operator shares with every step, bound read-write at the same path (e.g. a cache the operator keeps).</summary>
    public IReadOnlyList<string> SandboxWritablePaths { get; init; } = [];
    /// <summary>The service's own paths (data dir, application, working directory), covered up if a bound path holds them.</summary>
    public IReadOnlyList<string> HiddenPaths { get; init; } = [];
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);
    public long MaxLogBytes { get; init; } = 10 * 1024 * 1024;
    /// <summary>The only variables of the runner's own environment a step sees; the service's settings never leak.</summary>
    public IReadOnlyList<string> PassEnvironment { get; init; } = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "TERM"];
    public TimeSpan ClaimWait { get; init; } = TimeSpan.FromSeconds(25);
    /// <summary>Workspaces no step has begun in for this long are deleted; longer than the longest step timeout (24 h).</summary>
    public TimeSpan WorkspaceMaxIdle { get; init; } = TimeSpan.FromHours(25);
    /// <summary>Values replaced by *** in step logs (configured secrets, git and registry credentials); never put into a step's environment.</summary>
    public IReadOnlyList<string> Secrets { get; init; } = [];
    /// <summary>Files above this are not kept as artifacts (the step's log says so).</summary>
    public long MaxArtifactBytes { get; init; } = 256L * 1024 * 1024;
}
