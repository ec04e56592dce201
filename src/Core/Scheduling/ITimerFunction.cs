namespace DevMentor.Core.Scheduling;

/// <summary>
/// A timer-triggered function: fired by the in-process scheduler when standalone, or by the
/// Azure Functions host (POST /{Name}) under the host. Either way exactly one instance runs
/// each occurrence.
/// </summary>
public interface ITimerFunction
{
    /// <summary>The function's name: unique across the app, used as the route under the Functions host.</summary>
    string Name { get; }

    /// <summary>6-field NCRONTAB (second minute hour day month day-of-week), in UTC; <c>Timers:{Name}:Schedule</c> overrides it.</summary>
    string Schedule { get; }

    Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken);
}

/// <param name="ScheduledAt">The occurrence being fired (UTC).</param>
/// <param name="IsPastDue">True when the occurrence was missed (service down) and is run late.</param>
/// <param name="Source">"scheduler" or "functions-host".</param>
public sealed record TimerInvocation(DateTimeOffset ScheduledAt, bool IsPastDue, string Source);
