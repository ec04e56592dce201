using Azure.Data.Tables;

namespace DevMentor.Bench.Pipeline;

/// <summary>
/// Where a run's cost goes in the Durable backend: the history events of one instance by type, read from the hub's
/// History table (DurableTask.AzureStorage keeps a row per event, partitioned by instance id). OrchestratorStarted
/// counts the episodes, TaskScheduled the activities, TimerCreated the timers, EventRaised the external events.
/// </summary>
internal static class HistoryCounts
{
    public static async Task<string> DescribeAsync(string connectionString, string taskHub, string instanceId)
    {
        var table = new TableClient(connectionString, taskHub + "History");
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == instanceId, select: ["EventType"]))
        {
            var type = row.GetString("EventType") ?? "?";
            counts[type] = counts.GetValueOrDefault(type) + 1;
        }

        return string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"));
    }
}
