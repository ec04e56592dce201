using Azure.Data.Tables;
using DevMentor.Core.Storage.Account;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Pipelines.Orchestration;

/// <summary>
/// An instance's history events by type, read from the app's task hub in the test Azurite (DurableTask.AzureStorage
/// keeps a row per event, partitioned by instance id): what an orchestration cost, episodes (OrchestratorStarted),
/// activities (TaskScheduled), timers (TimerCreated) and external events (EventRaised).
/// </summary>
internal static class DurableHistory
{
    public static async Task<IReadOnlyDictionary<string, int>> CountsAsync(TestApp app, string instanceId)
    {
        var account = await app.Services.GetRequiredService<StorageAccountProvider>().WhenReadyAsync(CancellationToken.None);
        var hub = app.Services.GetRequiredService<DurableSettings>().TaskHub;
        var table = new TableClient(account.ConnectionString, hub + "History");
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId, select: ["EventType"]))
        {
            if (row.GetString("EventType") is { } type)
            {
                counts[type] = counts.GetValueOrDefault(type) + 1;
            }
        }

        return counts;
    }

    /// <summary>When the instance's durable timers were set to fire, in the order they were created.</summary>
    public static async Task<IReadOnlyList<DateTimeOffset>> TimersAsync(TestApp app, string instanceId)
    {
        var account = await app.Services.GetRequiredService<StorageAccountProvider>().WhenReadyAsync(CancellationToken.None);
        var hub = app.Services.GetRequiredService<DurableSettings>().TaskHub;
        var table = new TableClient(account.ConnectionString, hub + "History");
        var timers = new List<(string Row, DateTimeOffset FireAt)>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId))
        {
            if (row.GetString("EventType") == "TimerCreated" && row.GetDateTimeOffset("FireAt") is { } fireAt)
            {
                timers.Add((row.RowKey, fireAt));
            }
        }

        return timers.OrderBy(t => t.Row, StringComparer.Ordinal).Select(t => t.FireAt).ToList();
    }

    /// <summary>For a test's failure message: the run's orchestration status, custom status and history, event by event.</summary>
    public static async Task<string> DescribeRunAsync(TestApp app, Guid runId)
    {
        var instanceId = Core.Pipelines.Orchestration.RunInput.InstanceIdFor(runId);
        var client = await app.Services.GetRequiredService<Core.Durable.DurableClientSource>().GetAsync(CancellationToken.None);
        var state = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true);
        var account = await app.Services.GetRequiredService<StorageAccountProvider>().WhenReadyAsync(CancellationToken.None);
        var table = new TableClient(account.ConnectionString, app.Services.GetRequiredService<DurableSettings>().TaskHub + "History");
        var events = new List<(string Row, string Text)>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId))
        {
            events.Add((row.RowKey, $"{row.GetString("EventType")}{(row.GetString("Name") is { } name ? " " + name : "")}{(row.GetInt32("TaskScheduledId") is { } id ? " #" + id : "")}{(row.GetString("Result") is { } result ? " " + result : "")}"));
        }

        return $"orchestration {instanceId}: {state?.RuntimeStatus} {state?.SerializedCustomStatus}; history: " +
            string.Join(" | ", events.OrderBy(e => e.Row, StringComparer.Ordinal).Select(e => e.Text));
    }

    public static int Of(this IReadOnlyDictionary<string, int> counts, string type) => counts.GetValueOrDefault(type);

    public static string Describe(this IReadOnlyDictionary<string, int> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
}
