using DevMentor.Core.Code;
using DevMentor.Core.Code.Edits;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Durable;
using DevMentor.Core.Git;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.Statuses;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Search;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DevMentor.Functions.Composition;

/// <summary>Code sync (mirrors, files, dependencies, analysis) as the CodeSync orchestration with its sweep, and search.</summary>
public static class CodeComposition
{
    public static IServiceCollection AddCodeSync(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        var mirrors = configuration["Sync:MirrorDirectory"] is { Length: > 0 } dir ? Path.GetFullPath(dir, service.DataDirectory) : Path.Combine(service.DataDirectory, "mirrors");
        // The lease worker that Sync:Runner = worker chose is gone (ADR 0035): a setting asking for it is an error, not ignored.
        if (configuration["Sync:Runner"] is { Length: > 0 } runner && runner != "durable")
        {
            throw new InvalidConfigurationException([$"Sync:Runner: '{runner}' is not available; syncs run as the CodeSync Durable orchestration (durable), the only runner."]);
        }

        var problems = new List<string>();
        var enabled = SettingValues.Bool(configuration, "Sync:Enabled", true, problems);
        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        var options = new CodeSyncOptions(mirrors, enabled);
        services.AddSingleton(options);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(CodeJsonContext.Default));
        services.TryAddSingleton<IGitRepositories, LibGit2Repositories>();
        services.AddSingleton<CodeStore>();
        services.AddSingleton<RepositoryMirrors>();
        services.AddSingleton<CodeIndexer>();
        services.AddSingleton<CodeSyncService>();
        services.AddSingleton<CodeService>();
        services.AddSingleton<FileEditService>();
        services.AddSingleton<IHostedFileCommitter, GitHubContentsClient>();
        services.AddSingleton<ISyncBuildStarter, SyncBuildStarter>();
        services.AddSingleton<IAnalysisStatusReporter, AnalysisStatusReporter>();
        services.AddDurableOrchestrator<CodeSyncOrchestration>();
        services.AddDurableActivity<CodeSyncStageActivity>();
        services.AddDurableActivity<CodeSyncFinishActivity>();
        services.AddSingleton<ISyncScheduler, DurableSyncScheduler>();
        services.AddSingleton<CodeSyncSweep>();
        services.AddSingleton<PathTrigrams>();
        services.AddSingleton<SearchService>();
        return services;
    }
}
