using DevMentor.Core.Creation;
using DevMentor.Functions.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace DevMentor.Functions.Projects;

/// <summary>The Functions host's wrappers of the creation flow (<see cref="ProjectCreationOrchestrator"/> and its activities).</summary>
public sealed class CreationDurableFunctions
{
    [Function(ProjectCreationOrchestrator.Name)]
    public Task<string> RunCreation([OrchestrationTrigger] TaskOrchestrationContext context, FunctionContext function) =>
        DurableWrappers.Orchestrate<ProjectCreationOrchestrator, Guid, string>(function, context);

    [Function(CreateRepositoryActivity.Name)]
    public Task<string> RunCreateRepository([ActivityTrigger] Guid input, FunctionContext function) =>
        DurableWrappers.Activity<CreateRepositoryActivity, Guid, string>(function, input);

    [Function(InitialCommitActivity.Name)]
    public Task<string> RunInitialCommit([ActivityTrigger] Guid input, FunctionContext function) =>
        DurableWrappers.Activity<InitialCommitActivity, Guid, string>(function, input);

    [Function(DependenciesActivity.Name)]
    public Task<string> RunDependencies([ActivityTrigger] Guid input, FunctionContext function) =>
        DurableWrappers.Activity<DependenciesActivity, Guid, string>(function, input);

    [Function(ContinuousIntegrationActivity.Name)]
    public Task<string> RunContinuousIntegration([ActivityTrigger] Guid input, FunctionContext function) =>
        DurableWrappers.Activity<ContinuousIntegrationActivity, Guid, string>(function, input);

    [Function(IndexActivity.Name)]
    public Task<string> RunIndex([ActivityTrigger] Guid input, FunctionContext function) =>
        DurableWrappers.Activity<IndexActivity, Guid, string>(function, input);
}
