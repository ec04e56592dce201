namespace DevMentor.Core.Analytics;

/// <summary>Analytics:* settings.</summary>
public sealed record AnalyticsOptions
{
    /// <summary>How far behind now the rollup watermarks stay (rows of transactions still in flight are stamped before they commit).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether HTTP function calls are recorded as usage events.</summary>
    public bool RecordUsage { get; init; } = true;

    /// <summary>Usage events kept in memory before new ones are dropped (the database is slow or down).</summary>
    public int UsageBufferCapacity { get; init; } = 100_000;

    public TimeSpan UsageFlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a run-status stream (GET /projects/{id}/runs/events) looks for changes.</summary>
    public TimeSpan RunEventsPoll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a run-status stream may stay silent before it sends a heartbeat (proxies close idle connections).</summary>
    public TimeSpan RunEventsHeartbeat { get; init; } = TimeSpan.FromSeconds(15);
}
