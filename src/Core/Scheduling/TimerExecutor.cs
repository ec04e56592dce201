using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Scheduling;

/// <summary>Runs an occurrence of a timer function once across instances and records how it ended.</summary>
public sealed partial class TimerExecutor(TimerRunStore runs, ILogger<TimerExecutor> logger)
{
    public static string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <returns>The error message, or null when the function succeeded.</returns>
    public async Task<string?> RunClaimedAsync(string name, TimerInvocation invocation, ITimerJob job, CancellationToken cancellationToken)
    {
        LogFiring(logger, name, invocation.ScheduledAt, invocation.IsPastDue, invocation.Source);
        string? error = null;
        try
        {
            await job.RunAsync(invocation, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            LogFailed(logger, e, name, invocation.ScheduledAt);
        }

        // Recorded even when shutting down mid-run, so the outcome is never left 'running' silently.
        await runs.CompleteAsync(name, invocation.ScheduledAt, error ?? (cancellationToken.IsCancellationRequested ? "canceled by shutdown" : null), CancellationToken.None);
        return error;
    }

    /// <summary>Claims the occurrence for this instance; false when another instance (or an earlier delivery) had it.</summary>
    public Task<bool> TryClaimAsync(string name, TimerInvocation invocation, CancellationToken cancellationToken) =>
        runs.TryClaimAsync(name, invocation.ScheduledAt, InstanceId, invocation.IsPastDue, cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Name} firing for {ScheduledAt:O} (past due: {IsPastDue}, via {Source})")]
    private static partial void LogFiring(ILogger logger, string name, DateTimeOffset scheduledAt, bool isPastDue, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {Name} failed for {ScheduledAt:O}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string name, DateTimeOffset scheduledAt);
}
