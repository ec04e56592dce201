namespace DevMentor.Core.Deployments;

/// <summary>Wakes this instance's deployment worker when a deployment was accepted here (others find it by polling).</summary>
public sealed class DeploymentSignal : IDisposable
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    public void Dispose() => _signal.Dispose();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _signal.WaitAsync(timeout, cancellationToken);
}
