using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("DevMentor.Functions.Tests.Infrastructure.LongestFirstCollectionOrderer", "DevMentor.Functions.Tests")]

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// Starts the test classes that take longest first. xunit's default order is random per run, and with three classes at
/// a time a class of minutes drawn last ran alone at the end while the other slots stood idle (the suite took ~2.5
/// minutes longer than its summed test time over three slots). Longest first leaves only short classes for the tail.
/// Classes not listed run after the listed ones, by name.
/// </summary>
public sealed class LongestFirstCollectionOrderer : ITestCollectionOrderer
{
    /// <summary>
    /// Summed test seconds per class in a green CI run (idle machine); refresh from the run's trx when classes change
    /// much. Only the order matters, so rough figures do.
    /// </summary>
    private static readonly Dictionary<string, int> Seconds = new(StringComparer.Ordinal)
    {
        ["PipelineDurabilityTests"] = 231,
        ["CreationTests"] = 137,
        ["BuildRunTests"] = 125,
        ["TemplateTests"] = 117,
        ["TemplateBuildTests"] = 73,
        ["FileWriteTests"] = 62,
        ["SampleBuildTests"] = 57,
        ["RedisBackendTests"] = 56,
        ["BackendSelectionTests"] = 55,
        ["PipelineEngineTests"] = 54,
        ["EmbeddedAzuriteLifecycleTests"] = 50,
        ["CodeSyncTests"] = 46,
        ["SyncKillResumeTests"] = 45,
        ["CreationKillTests"] = 44,
        ["AzureBlobStoreTests"] = 41,
        ["LocalDeploymentTests"] = 41,
        ["BuildToReleaseTests"] = 36,
        ["PipelineRunOrchestratorTests"] = 33,
        ["ProblemDetailsTests"] = 31,
        ["EmbeddedClusterLifecycleTests"] = 31,
        ["StepExecutionTests"] = 31,
        ["RunnerFunctionsTests"] = 29,
        ["GitHubWebhookIntakeTests"] = 28,
        ["DashboardBrowserTests"] = 27,
        ["ImageDeploymentTests"] = 27,
        ["RollupTests"] = 26,
        ["StepSandboxAttackTests"] = 25,
        ["RemoteRunnerBuildTests"] = 24,
        ["RedisClusterFailureTests"] = 24,
        ["ProjectWebhookSecretTests"] = 23,
        ["RedisClusterTests"] = 22,
        ["DeploymentRecoveryTests"] = 22,
        ["GitLabWebhookIntakeTests"] = 22,
        ["StartFailureTests"] = 21,
        ["EmbeddedPostgresPidReuseTests"] = 18,
        ["NotificationTests"] = 17,
        ["GitCheckoutTests"] = 17,
        ["DurableEventProbeTests"] = 16,
        ["GracefulShutdownTests"] = 15,
        ["IdentityStorageTests"] = 15,
        ["LocalSettingsSampleTests"] = 15,
        ["ApprovalTests"] = 14,
        ["DeploymentFunctionsTests"] = 14,
        ["BootstrapApiKeyTests"] = 12,
        ["RunOutboxTests"] = 12,
        ["NotificationSecurityTests"] = 12,
        ["DataDirectoryLockTests"] = 11,
        ["SearchTests"] = 11,
        ["HostedGitTests"] = 11,
        ["RunnerQueueTests"] = 11,
        ["WebhookPipelineTests"] = 11,
        ["WebhookDeploymentTests"] = 11,
        ["UglyInputEveryEndpointTests"] = 10,
        ["ImageBuildStepTests"] = 10,
        ["WebhookCrashRecoveryTests"] = 9,
        ["DurableSyncTests"] = 9,
        ["StepLogBlobTests"] = 9,
        ["ProjectCacheTests"] = 9,
        ["HealthFunctionsTests"] = 9,
        ["TimerSchedulerTests"] = 9,
    };

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(c => Seconds.GetValueOrDefault(ClassName(c))).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    /// <summary>A class's own collection is named "Test collection for Namespace.Class".</summary>
    private static string ClassName(ITestCollection collection)
    {
        var name = collection.DisplayName;
        return name[(name.LastIndexOf('.') + 1)..];
    }
}
