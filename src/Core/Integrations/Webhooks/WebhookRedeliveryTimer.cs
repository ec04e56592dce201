using DevMentor.Core.Scheduling;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>Nothing missed: processes deliveries stored but never finished (e.g. a crash between answer and processing).</summary>
public sealed partial class WebhookRedeliveryTimer(WebhookProcessor processor, ILogger<WebhookRedeliveryTimer> logger) : ITimerJob
{
    public async Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken)
    {
        var processed = await processor.ProcessWaitingAsync(cancellationToken);
        if (processed > 0)
        {
            LogCaughtUp(logger, processed);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "WebhookRedelivery processed {Count} deliveries that had been left waiting")]
    private static partial void LogCaughtUp(ILogger logger, int count);
}
