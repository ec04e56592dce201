using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>One worker: claim a step, run it, report (claiming the next one), repeat until stopped.</summary>
public sealed partial class StepWorker(IJobSource source, StepExecutor executor, TimeSpan claimWait, ILogger logger)
{
    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            ClaimedStep? step;
            try
            {
                step = await source.ClaimAsync(claimWait, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                LogClaimFailed(logger, e);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            // A completion can hand back the next step (claimed in the same commit): run it at once.
            while (step is not null)
            {
                step = await executor.RunAsync(step, source, claimNext: true, stopping);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim a step; trying again in a second")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);
}
