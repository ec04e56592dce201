using Microsoft.DurableTask;

namespace DevMentor.Core.Creation;

/// <summary>
/// The creation flow: its steps in order, one activity each. Deterministic (no I/O, no clock): the
/// activities record the steps' states. A failed step ends the flow as failed (its activity recorded
/// why); a retry is a new instance that passes the steps already done.
/// </summary>
[DurableTask(Name)]
public sealed class ProjectCreationOrchestrator : TaskOrchestrator<Guid, string>
{
    public const string Name = "ProjectCreation";

    public static string InstanceId(Guid projectId, int attempt) => $"create-{projectId:N}-{attempt}";

    public override async Task<string> RunAsync(TaskOrchestrationContext context, Guid input)
    {
        foreach (var (step, activity) in Activities)
        {
            try
            {
                await context.CallActivityAsync<string>(activity, input);
            }
            catch (TaskFailedException)
            {
                return $"failed at {step}";
            }
        }

        return "succeeded";
    }

    public static readonly IReadOnlyList<(string Step, string Activity)> Activities =
    [
        (CreationSteps.CreateRepository, CreateRepositoryActivity.Name),
        (CreationSteps.InitialCommit, InitialCommitActivity.Name),
        (CreationSteps.Dependencies, DependenciesActivity.Name),
        (CreationSteps.ContinuousIntegration, ContinuousIntegrationActivity.Name),
        (CreationSteps.Index, IndexActivity.Name),
    ];
}

[DurableTask(Name)]
public sealed class CreateRepositoryActivity(CreationStepRunner runner) : TaskActivity<Guid, string>
{
    public const string Name = "CreationCreateRepository";

    public override Task<string> RunAsync(TaskActivityContext context, Guid input) => runner.RunAsync(input, CreationSteps.CreateRepository, CancellationToken.None);
}

[DurableTask(Name)]
public sealed class InitialCommitActivity(CreationStepRunner runner) : TaskActivity<Guid, string>
{
    public const string Name = "CreationInitialCommit";

    public override Task<string> RunAsync(TaskActivityContext context, Guid input) => runner.RunAsync(input, CreationSteps.InitialCommit, CancellationToken.None);
}

[DurableTask(Name)]
public sealed class DependenciesActivity(CreationStepRunner runner) : TaskActivity<Guid, string>
{
    public const string Name = "CreationDependencies";

    public override Task<string> RunAsync(TaskActivityContext context, Guid input) => runner.RunAsync(input, CreationSteps.Dependencies, CancellationToken.None);
}

[DurableTask(Name)]
public sealed class ContinuousIntegrationActivity(CreationStepRunner runner) : TaskActivity<Guid, string>
{
    public const string Name = "CreationContinuousIntegration";

    public override Task<string> RunAsync(TaskActivityContext context, Guid input) => runner.RunAsync(input, CreationSteps.ContinuousIntegration, CancellationToken.None);
}

[DurableTask(Name)]
public sealed class IndexActivity(CreationStepRunner runner) : TaskActivity<Guid, string>
{
    public const string Name = "CreationIndex";

    public override Task<string> RunAsync(TaskActivityContext context, Guid input) => runner.RunAsync(input, CreationSteps.Index, CancellationToken.None);
}
