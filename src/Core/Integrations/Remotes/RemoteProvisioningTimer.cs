using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Integrations.Remotes;

/// <summary>
/// Every minute: finishes GitHub repositories and hooks whose creation a crash interrupted (the
/// project was stored with a pending remote, then the service died before or while calling GitHub).
/// </summary>
public sealed partial class RemoteProvisioningTimer(RemoteProvisioning provisioning, ILogger<RemoteProvisioningTimer> logger) : ITimerJob
{
    /// <summary>How long a pending remote is left to the create request that stored it.</summary>
    public static readonly TimeSpan PendingGrace = TimeSpan.FromMinutes(1);

    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var attempted = await provisioning.ResumeInterruptedAsync(PendingGrace, cancellationToken);
        if (attempted > 0)
        {
            LogResumed(logger, attempted);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RemoteProvisioningResume continued {Count} remote repositories a crash had interrupted")]
    private static partial void LogResumed(ILogger logger, int count);
}
