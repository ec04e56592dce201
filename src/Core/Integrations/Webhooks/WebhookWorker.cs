using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Integrations.Webhooks;

/// <param name="ProcessOnReceipt">
/// False leaves every delivery to the WebhookRedelivery timer (e.g. to shed load during an incident);
/// the answer to the sender is the same either way.
/// </param>
public sealed record WebhookOptions(bool ProcessOnReceipt = true);

/// <summary>
/// Processes deliveries right after they are answered (the intake signals it), and at start
/// whatever an earlier process accepted but did not finish. The WebhookRedelivery timer is the
/// safety net when this process is gone.
/// </summary>
public sealed partial class WebhookWorker(WebhookProcessor processor, WebhookOptions options, ILogger<WebhookWorker> logger) : BackgroundService
{
    private readonly Channel<Guid> _accepted = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    public void Signal(Guid deliveryId)
    {
        if (options.ProcessOnReceipt)
        {
            _accepted.Writer.TryWrite(deliveryId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        if (!options.ProcessOnReceipt)
        {
            return;
        }

        await RunSafelyAsync(() => processor.ProcessWaitingAsync(stoppingToken), stoppingToken);
        // Signals only wake the worker: it then takes every waiting delivery in batches, so a burst
        // of deliveries costs a few claim and completion commits rather than two per delivery.
        while (await _accepted.Reader.WaitToReadAsync(stoppingToken))
        {
            while (_accepted.Reader.TryRead(out _))
            {
            }

            await RunSafelyAsync(() => processor.ProcessWaitingAsync(stoppingToken), stoppingToken);
        }
    }

    private async Task RunSafelyAsync(Func<Task<int>> work, CancellationToken stoppingToken)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            // The database may be briefly unavailable; the delivery stays stored and the timer retries it.
            LogError(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing webhook deliveries failed; the WebhookRedelivery timer will retry")]
    private static partial void LogError(ILogger logger, Exception exception);
}
