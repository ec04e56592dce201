using DevMentor.Core.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace DevMentor.Functions.Durable;

/// <summary>
/// What a hand-written Functions wrapper calls: the same orchestrator or activity class the standalone worker runs,
/// created from the invocation's services. (The Durable source generator writes these wrappers elsewhere; it is not
/// served here, so they are written by hand and DurableWrapperTests checks them against the registered tasks.)
/// </summary>
public static class DurableWrappers
{
    public static Task<TOutput> Orchestrate<TOrchestrator, TInput, TOutput>(FunctionContext function, TaskOrchestrationContext context)
        where TOrchestrator : TaskOrchestrator<TInput, TOutput> =>
        ActivatorUtilities.CreateInstance<TOrchestrator>(function.InstanceServices).RunAsync(context, context.GetInput<TInput>()!);

    public static Task<TOutput> Activity<TActivity, TInput, TOutput>(FunctionContext function, TInput input)
        where TActivity : TaskActivity<TInput, TOutput>
    {
        var definition = DurableTaskDefinition.Of(typeof(TActivity));
        var instanceId = function.BindingContext.BindingData.TryGetValue("instanceId", out var id) ? id?.ToString() ?? "" : "";
        var activity = ActivatorUtilities.CreateInstance<TActivity>(function.InstanceServices);
        return activity.RunAsync(new WrappedActivityContext(definition.Name, instanceId), input);
    }

    private sealed class WrappedActivityContext(TaskName name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;
        public override string InstanceId { get; } = instanceId;
    }
}
