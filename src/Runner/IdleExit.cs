using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines.Reports;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;

namespace DevMentor.Runner;

/// <summary>
/// Runner:ExitWhenIdleSeconds: the runner stops itself (exit code 0) once no step has run for that long, so an
/// autoscaled execution (a Container Apps job started per queued step) ends when the queue is empty instead of
/// at its replica timeout. It wraps the job source: a claimed step counts as busy until its completion is sent
/// (or its lease is found lost), and idleness is measured from the last of those.
/// </summary>
public sealed class IdleExit(IJobSource inner, TimeSpan idle, TimeProvider clock) : IJobSource
{
    private readonly Lock _lock = new();
    private int _busy;
    private long _lastActivity = clock.GetTimestamp();

    /// <summary>Ends when the runner has been idle for the configured time, or when <paramref name="stopping"/> fires.</summary>
    public async Task WaitUntilIdleAsync(CancellationToken stopping)
    {
        var check = TimeSpan.FromMilliseconds(Math.Clamp(idle.TotalMilliseconds / 4, 50, 1000));
        while (!stopping.IsCancellationRequested)
        {
            lock (_lock)
            {
                if (_busy == 0 && clock.GetElapsedTime(_lastActivity) >= idle)
                {
                    return;
                }
            }

            await Task.Delay(check, clock, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async Task<ClaimedStep?> ClaimAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var step = await inner.ClaimAsync(wait, cancellationToken);
        if (step is not null)
        {
            Busy();
        }

        return step;
    }

    public async Task<HeartbeatAction> HeartbeatAsync(ClaimedStep step, CancellationToken cancellationToken)
    {
        var action = await inner.HeartbeatAsync(step, cancellationToken);
        if (action == HeartbeatAction.Lost)
        {
            Done(); // the executor stops without completing a step whose lease another attempt holds
        }

        return action;
    }

    public Task<bool> AppendLogAsync(ClaimedStep step, string text, CancellationToken cancellationToken) => inner.AppendLogAsync(step, text, cancellationToken);

    public async Task<CompletionOutcome?> CompleteAsync(ClaimedStep step, StepResult result, CancellationToken cancellationToken)
    {
        try
        {
            return await inner.CompleteAsync(step, result, cancellationToken);
        }
        finally
        {
            Done();
        }
    }

    public Task<bool> ReportTestsAsync(ClaimedStep step, TestSummary summary, CancellationToken cancellationToken) => inner.ReportTestsAsync(step, summary, cancellationToken);

    public Task<ArtifactInfo?> UploadArtifactAsync(ClaimedStep step, string name, Stream content, long length, CancellationToken cancellationToken) =>
        inner.UploadArtifactAsync(step, name, content, length, cancellationToken);

    private void Busy()
    {
        lock (_lock)
        {
            _busy++;
            _lastActivity = clock.GetTimestamp();
        }
    }

    private void Done()
    {
        lock (_lock)
        {
            _busy = Math.Max(0, _busy - 1);
            _lastActivity = clock.GetTimestamp();
        }
    }
}
