using DevMentor.Core.Analytics;
using DevMentor.Core.Retention;
using DevMentor.Functions.Analytics;

namespace DevMentor.Functions.Composition;

/// <summary>Usage recording, rollups, the analytics API (Analytics:* settings) and retention (Retention:*).</summary>
public static class AnalyticsComposition
{
    public static IServiceCollection AddAnalytics(this IServiceCollection services, IConfiguration configuration)
    {
        var problems = new List<string>();
        var options = new AnalyticsOptions
        {
            Settle = TimeSpan.FromSeconds(SettingValues.Int(configuration, "Analytics:SettleSeconds", 30, 0, 3600, problems)),
            RecordUsage = SettingValues.Bool(configuration, "Analytics:RecordUsage", true, problems),
            UsageBufferCapacity = SettingValues.Int(configuration, "Analytics:UsageBufferCapacity", 100_000, 100, 10_000_000, problems),
            UsageFlushInterval = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Analytics:UsageFlushMilliseconds", 1000, 10, 60_000, problems)),
            RunEventsPoll = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Analytics:RunEventsPollMilliseconds", 1000, 50, 60_000, problems)),
            RunEventsHeartbeat = TimeSpan.FromSeconds(SettingValues.Int(configuration, "Analytics:RunEventsHeartbeatSeconds", 15, 1, 3600, problems)),
        };
        var retention = new RetentionOptions
        {
            StepLogsDays = SettingValues.Int(configuration, "Retention:StepLogsDays", 30, 1, 36500, problems),
            ArtifactsDays = SettingValues.Int(configuration, "Retention:ArtifactsDays", 90, 1, 36500, problems),
            RunHistoryDays = SettingValues.Int(configuration, "Retention:RunHistoryDays", 365, 1, 36500, problems),
            WebhookDeliveriesDays = SettingValues.Int(configuration, "Retention:WebhookDeliveriesDays", 30, 1, 36500, problems),
            UsageEventsDays = SettingValues.Int(configuration, "Retention:UsageEventsDays", 90, 1, 36500, problems),
        };
        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        services.AddSingleton(options);
        services.AddSingleton(retention);
        services.AddSingleton<RetentionStore>();
        services.AddSingleton<RetentionTimer>();
        services.AddSingleton<RetentionService>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(DevMentor.Functions.Retention.RetentionJsonContext.Default));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(AnalyticsJsonContext.Default));
        services.AddSingleton<UsageRecorder>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageRecorder>());
        services.AddSingleton<RollupStore>();
        services.AddSingleton<RollupTimer>();
        services.AddSingleton<AnalyticsStore>();
        services.AddSingleton<AnalyticsService>();
        services.AddSingleton<RunEventsStore>();
        services.AddSingleton<RunEventsService>();
        return services;
    }
}
