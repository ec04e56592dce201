using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Scheduling;

/// <summary>Runs one claimed occurrence of a timer function and records how it ended.</summary>
public sealed partial class TimerExecutor(TimerRunStore runs, ILogger<TimerExecutor> logger)
{
    public static string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <returns>The error message, or null when the function succeeded.</returns>
    public async Task<string?> RunClaimedAsync(TimerRegistration timer, TimerInvocation invocation, CancellationToken cancellationToken)
    {
        LogFiring(logger, timer.Name, invocation.ScheduledAt, invocation.IsPastDue, invocation.Source);
        string? error = null;
        try
        {
            await timer.Function.RunAsync(invocation, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            LogFailed(logger, e, timer.Name, invocation.ScheduledAt);
        }

        // Recorded even when shutting down mid-run, so the outcome is never left 'running' silently.
        await runs.CompleteAsync(timer.Name, invocation.ScheduledAt, error ?? (cancellationToken.IsCancellationRequested ? "canceled by shutdown" : null), CancellationToken.None);
        return error;
    }

    /// <summary>Claims the occurrence for this instance and runs it; false when another instance had it.</summary>
    public async Task<bool> TryRunAsync(TimerRegistration timer, TimerInvocation invocation, CancellationToken cancellationToken)
    {
        if (!await runs.TryClaimAsync(timer.Name, invocation.ScheduledAt, InstanceId, invocation.IsPastDue, cancellationToken))
        {
            return false;
        }

        await RunClaimedAsync(timer, invocation, cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Name} firing for {ScheduledAt:O} (past due: {IsPastDue}, via {Source})")]
    private static partial void LogFiring(ILogger logger, string name, DateTimeOffset scheduledAt, bool isPastDue, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer {Name} failed for {ScheduledAt:O}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string name, DateTimeOffset scheduledAt);
}
