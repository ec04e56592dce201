using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>
/// The queueing activities of this process that wait, briefly, for their step's outcome (run orchestration version 3,
/// ADR 0044): a short step's outcome then returns with the activity, in the episode that would have seen the activity
/// complete anyway, instead of as an external event in an episode of its own. Only an optimisation: the outcome is
/// still recorded with its outbox row in one transaction, and nothing here decides whether it reaches the
/// orchestration — a waiter that never hears (another instance recorded it, this process died) leaves the row to the
/// outbox dispatcher, which raises it as before.
/// </summary>
/// <remarks>
/// When the service stops, every wait ends at once: an activity still waiting as the worker goes would be lost, and
/// Durable would run it again only after its message's visibility timeout, holding its run back that long.
/// </remarks>
public sealed class StepOutcomeWaiters(IHostApplicationLifetime? lifetime = null)
{
    private readonly ConcurrentDictionary<(Guid RunId, string Event), TaskCompletionSource> _waiting = new();
    private readonly CancellationToken _stopping = lifetime?.ApplicationStopping ?? CancellationToken.None;

    /// <summary>Registers a wait for the outcome event <paramref name="eventName"/> of the run; dispose to stop waiting.</summary>
    public Waiter Register(Guid runId, string eventName)
    {
        var key = (runId, eventName);
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // One queueing activity per attempt at a time; a second (Durable re-ran it) takes over the wait.
        _waiting[key] = signal;
        return new Waiter(this, key, signal, _stopping);
    }

    /// <summary>Whether an activity of this process waits for this outcome (the outbox dispatcher leaves its row to it).</summary>
    public bool IsAwaited(Guid runId, string eventName) => _waiting.ContainsKey((runId, eventName));

    /// <summary>Wakes the activity waiting for this outcome, if any; true when one was waiting.</summary>
    public bool Notify(Guid runId, string eventName) =>
        _waiting.TryGetValue((runId, eventName), out var signal) && signal.TrySetResult();

    public sealed class Waiter : IDisposable
    {
        private readonly StepOutcomeWaiters _owner;
        private readonly (Guid, string) _key;
        private readonly TaskCompletionSource _signal;
        private readonly CancellationToken _stopping;

        internal Waiter(StepOutcomeWaiters owner, (Guid, string) key, TaskCompletionSource signal, CancellationToken stopping) =>
            (_owner, _key, _signal, _stopping) = (owner, key, signal, stopping);

        /// <summary>Completes when the outcome was recorded in this process, after <paramref name="max"/>, or when the service stops.</summary>
        public async Task WaitAsync(TimeSpan max)
        {
            try
            {
                await _signal.Task.WaitAsync(max, _stopping);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
            }
        }

        public void Dispose() => _owner._waiting.TryRemove(new KeyValuePair<(Guid, string), TaskCompletionSource>(_key, _signal));
    }
}
