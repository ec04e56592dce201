namespace DevMentor.Core.Retention;

/// <summary>Platform defaults (Retention:*), in days; a project's own settings override the first four.</summary>
public sealed record RetentionOptions
{
    public int StepLogsDays { get; init; } = 30;
    public int ArtifactsDays { get; init; } = 90;
    public int RunHistoryDays { get; init; } = 365;
    public int WebhookDeliveriesDays { get; init; } = 30;

    /// <summary>Raw usage events are platform-wide: only the platform setting applies.</summary>
    public int UsageEventsDays { get; init; } = 90;

    /// <summary>Rows (or runs) purged per statement, so a first purge of a long history does not hold one huge transaction.</summary>
    public int BatchSize { get; init; } = 500;
}

/// <summary>A project's own retention; null = the platform default.</summary>
public sealed record ProjectRetention(int? StepLogsDays, int? ArtifactsDays, int? RunHistoryDays, int? WebhookDeliveriesDays);

/// <summary>What one purge removed.</summary>
public sealed record PurgeCounts(int StepLogRuns, int Artifacts, int Runs, int WebhookDeliveries, int UsageEvents, int Blobs);
