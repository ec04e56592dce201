using System.Collections.Concurrent;

namespace DevMentor.Core.Deployments;

/// <summary>
/// The deployments this instance's worker is working, each with a token that stops it: a deploy stage's deployment
/// stopped by a cancel or the deploy timeout (ADR 0044) ends its health wait or webhook retries at once when the stop
/// is handled here; a worker in another instance notices the row's 'canceled' status by polling it.
/// </summary>
public sealed class DeploymentCancellations
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _working = new();

    /// <summary>Registers a deployment being worked; dispose the returned source when it is done.</summary>
    public Lease Track(Guid deploymentId, CancellationToken stopping)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _working[deploymentId] = source;
        return new Lease(this, deploymentId, source);
    }

    /// <summary>Stops the work on a deployment if this instance is working it.</summary>
    public void Cancel(Guid deploymentId)
    {
        if (_working.TryGetValue(deploymentId, out var source))
        {
            try
            {
                source.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It has just finished.
            }
        }
    }

    public sealed class Lease(DeploymentCancellations owner, Guid deploymentId, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public bool Canceled => source.IsCancellationRequested;

        public void Cancel() => owner.Cancel(deploymentId);

        public void Dispose()
        {
            owner._working.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(deploymentId, source));
            source.Dispose();
        }
    }
}
