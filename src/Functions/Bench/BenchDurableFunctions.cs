using DevMentor.Core.Durable;
using DevMentor.Functions.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace DevMentor.Functions.Bench;

/// <summary>The Functions host's wrappers of the bare Durable chain (<see cref="NoOpChain"/>), the benchmarks' Durable baseline.</summary>
public sealed class BenchDurableFunctions
{
    [Function(nameof(NoOpChain))]
    public Task<int> RunNoOpChain([OrchestrationTrigger] TaskOrchestrationContext context, FunctionContext function) =>
        DurableWrappers.Orchestrate<NoOpChain, int, int>(function, context);

    [Function(nameof(NoOp))]
    public Task<int> RunNoOp([ActivityTrigger] int input, FunctionContext function) =>
        DurableWrappers.Activity<NoOp, int, int>(function, input);
}
