namespace DevMentor.Core.Pipelines.Execution;

/// <summary>
/// A step the runner performs with its own code instead of running the step's commands
/// (<see cref="StepDefinition.Uses"/>): the checkout that plans the rest of the run, the image
/// build. Registered by <see cref="Name"/>; the embedded runner and DevMentor.Runner both have them.
/// </summary>
public interface IBuiltInStep
{
    /// <summary>The value of <see cref="StepDefinition.Uses"/> that selects this step, e.g. "clone" or "image".</summary>
    string Name { get; }

    Task<StepResult> RunAsync(BuiltInStepContext context, CancellationToken cancellationToken);
}

/// <param name="Workspace">The run's workspace directory on this runner.</param>
/// <param name="Log">Writes one line to the step's log (capped, redacted, shipped while the step runs).</param>
/// <param name="Environment">The environment a command of this step would get.</param>
/// <param name="Sandbox">The runner's step sandbox (null when steps are not isolated): for built-ins that run the repository's own code, such as a Containerfile's RUN lines.</param>
public sealed record BuiltInStepContext(
    ClaimedStep Step,
    string Workspace,
    IJobSource Source,
    Action<string> Log,
    IReadOnlyDictionary<string, string> Environment,
    StepSandbox? Sandbox = null);
