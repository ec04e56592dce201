using System.Text.Json;
using DevMentor.Core.Durable;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Pipelines.Orchestration;

/// <summary>Wakes this process's outbox dispatcher the moment a commit added rows; rows other instances wrote are found by polling.</summary>
public sealed class RunOutboxSignal
{
    private readonly StepAvailability _pulse = new();

    public void Pulse() => _pulse.Pulse();

    public Task WaitAsync(TimeSpan max, CancellationToken cancellationToken) => _pulse.WaitAsync(max, cancellationToken);
}

/// <summary>
/// Drains the run outbox into Durable: a <c>start</c> row schedules the run's orchestration (once: an instance that
/// exists is left alone), an <c>event</c> row raises its event (a step's outcome, a cancel, an approval, a deployment's end). A row is deleted only
/// after Durable took it, so a crash re-sends it, and the orchestration ignores what it already has (one event name
/// per attempt). Rows are taken with a lease, so instances of the service share the work without sending a row twice
/// at the same time.
/// </summary>
public sealed partial class RunOutboxDispatcher(
    PostgresPipelineStore store, DurableClientSource clients, RunOutboxSignal signal, StepOutcomeWaiters waiters, ILogger<RunOutboxDispatcher> logger) : BackgroundService
{
    private const int BatchSize = 100;
    private const int Concurrency = 16;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        DurableTaskClient client;
        try
        {
            client = await clients.GetAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var taken = 0;
            try
            {
                taken = await DispatchAsync(client, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogDispatchFailed(logger, e.GetType().Name, e.Message);
            }

            if (taken < BatchSize)
            {
                await signal.WaitAsync(PollInterval, stoppingToken);
            }
        }
    }

    /// <returns>How many rows were taken.</returns>
    public async Task<int> DispatchAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        var items = await store.TakeOutboxAsync(BatchSize, Lease, cancellationToken);
        var sent = new System.Collections.Concurrent.ConcurrentBag<long>();
        // Runs are independent: their rows go out concurrently; one run's rows in order (its start before its events).
        var runs = items.GroupBy(i => i.RunId).Select(g => g.OrderBy(i => i.Id).ToList());
        await Parallel.ForEachAsync(runs, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken }, async (rows, token) =>
        {
            foreach (var item in rows)
            {
                if (item.Kind == "event" && waiters.IsAwaited(item.RunId, item.Name))
                {
                    // Its queueing activity is waiting for it here and takes the row; should it not, the row's lease
                    // ends and it is raised then.
                    continue;
                }

                try
                {
                    await SendAsync(client, item, token);
                    sent.Add(item.Id);
                }
                catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    // Left in the outbox, with the run's later rows: taken again when its lease ends.
                    LogSendFailed(logger, item.Kind, item.Name, item.RunId, item.Attempts, e.GetType().Name, e.Message);
                    return;
                }
            }
        });

        if (!sent.IsEmpty)
        {
            await store.DeleteOutboxAsync(sent.ToList(), CancellationToken.None);
        }

        return items.Count;
    }

    private async Task SendAsync(DurableTaskClient client, OutboxItem item, CancellationToken cancellationToken)
    {
        var instanceId = RunInput.InstanceIdFor(item.RunId);
        if (item.Kind == "start")
        {
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
            {
                return; // started before a crash kept the row
            }

            if (await store.RunInputAsync(item.RunId, cancellationToken) is not { } input)
            {
                return; // the run is gone (its project was deleted)
            }

            await client.ScheduleNewOrchestrationInstanceAsync(RunTasks.Orchestrator, input, new StartOrchestrationOptions(instanceId), cancellationToken);
            return;
        }

        object? payload = item.Payload is null ? null
            : item.Name.StartsWith(ApprovalDecision.EventPrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize(item.Payload, PipelineJsonContext.Default.ApprovalDecision)
            : item.Name.StartsWith(DeploymentOutcome.EventPrefix, StringComparison.Ordinal) ? JsonSerializer.Deserialize(item.Payload, PipelineJsonContext.Default.DeploymentOutcome)
            // A cancel's payload is who canceled.
            : item.Name == RunTasks.CancelEvent ? JsonSerializer.Deserialize(item.Payload, PipelineJsonContext.Default.String)
            : JsonSerializer.Deserialize(item.Payload, PipelineJsonContext.Default.StepOutcome);
        await client.RaiseEventAsync(instanceId, item.Name, payload ?? item.Name, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run outbox: {Kind} {Name} of run {RunId} not sent (attempt {Attempts}): {ErrorType}: {Error}")]
    private static partial void LogSendFailed(ILogger logger, string kind, string name, Guid runId, int attempts, string errorType, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run outbox dispatch failed: {ErrorType}: {Error}")]
    private static partial void LogDispatchFailed(ILogger logger, string errorType, string error);
}
