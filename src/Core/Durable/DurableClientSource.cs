using Microsoft.DurableTask.Client;

namespace DevMentor.Core.Durable;

/// <summary>
/// The Durable Task client services use to start instances, raise events and read status. The standalone host
/// offers its own client once the backend has started; under the Functions host the client comes from the host's
/// <c>durableClient</c> binding, offered by the worker middleware on the first invocation that has one.
/// Callers wait for it rather than fail: a request early in the start sees the client as soon as there is one.
/// </summary>
public sealed class DurableClientSource
{
    private readonly TaskCompletionSource<DurableTaskClient> _client = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReady => _client.Task.IsCompletedSuccessfully;

    public Task<DurableTaskClient> GetAsync(CancellationToken cancellationToken) => _client.Task.WaitAsync(cancellationToken);

    /// <summary>The first client offered is kept; later ones (one per Functions invocation) are the same hub's.</summary>
    public void Offer(DurableTaskClient client) => _client.TrySetResult(client);
}
