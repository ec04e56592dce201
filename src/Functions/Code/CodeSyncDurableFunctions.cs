using DevMentor.Core.Code.Sync;
using DevMentor.Functions.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace DevMentor.Functions.Code;

/// <summary>The Functions host's wrappers of the code sync orchestration and its activities (Sync:Runner = durable).</summary>
public sealed class CodeSyncDurableFunctions
{
    [Function(CodeSyncOrchestration.Name)]
    public Task<string> RunCodeSync([OrchestrationTrigger] TaskOrchestrationContext context, FunctionContext function) =>
        DurableWrappers.Orchestrate<CodeSyncOrchestration, Guid, string>(function, context);

    [Function(CodeSyncStageActivity.Name)]
    public Task<string> RunCodeSyncStage([ActivityTrigger] SyncStageInput input, FunctionContext function) =>
        DurableWrappers.Activity<CodeSyncStageActivity, SyncStageInput, string>(function, input);

    [Function(CodeSyncFinishActivity.Name)]
    public Task<string> RunCodeSyncFinish([ActivityTrigger] SyncFinishInput input, FunctionContext function) =>
        DurableWrappers.Activity<CodeSyncFinishActivity, SyncFinishInput, string>(function, input);
}
