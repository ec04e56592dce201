using Microsoft.DurableTask;

namespace DevMentor.Core.Durable;

/// <summary>
/// A bare chain of <see cref="NoOp"/> activities: the Durable baseline the pipeline benchmark compares its
/// steps/s with on the same backend, and the smallest orchestration that shows a hub works end to end.
/// </summary>
[DurableTask(nameof(NoOpChain))]
public sealed class NoOpChain : TaskOrchestrator<int, int>
{
    public override async Task<int> RunAsync(TaskOrchestrationContext context, int input)
    {
        var done = 0;
        for (var i = 0; i < Math.Clamp(input, 0, 1000); i++)
        {
            done += await context.CallActivityAsync<int>(nameof(NoOp), i);
        }

        return done;
    }
}

/// <summary>Does nothing but answer 1, so a chain's output counts the activities that ran.</summary>
[DurableTask(nameof(NoOp))]
public sealed class NoOp : TaskActivity<int, int>
{
    public override Task<int> RunAsync(TaskActivityContext context, int input) => Task.FromResult(1);
}
