namespace DevMentor.Core.Pipelines;

/// <summary>
/// Wakes idle workers and long-polling runners in this process the moment a step becomes
/// claimable here; steps queued by another instance are found by polling.
/// </summary>
public sealed class StepAvailability
{
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Pulse() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Completes at the next pulse or after <paramref name="max"/>, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan max, CancellationToken cancellationToken)
    {
        var pulse = Volatile.Read(ref _next).Task;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(max);
        try
        {
            await pulse.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }
}
