namespace DevMentor.Core.Scheduling;

/// <summary>
/// The work of a timer function. Its name and schedule are the <c>[Function]</c>/<c>[TimerTrigger]</c>
/// of its wrapper in src/Functions/Timers (the one definition both hosts read); this is what runs.
/// </summary>
public interface ITimerJob
{
    Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken);
}

/// <param name="ScheduledAt">The occurrence being fired (UTC).</param>
/// <param name="IsPastDue">True when the occurrence was missed (service down) and is run late.</param>
/// <param name="Source">"scheduler" or "functions-host".</param>
public sealed record TimerInvocation(DateTimeOffset ScheduledAt, bool IsPastDue, string Source);
