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

/// <summary>Code sync (mirrors, files, dependencies, analysis), its worker, and search.</summary>
public static class CodeComposition
{
    public static IServiceCollection AddCodeSync(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        var mirrors = configuration["Sync:MirrorDirectory"] is { Length: > 0 } dir ? Path.GetFullPath(dir, service.DataDirectory) : Path.Combine(service.DataDirectory, "mirrors");
        var problems = new List<string>();
        var worker = SettingValues.Bool(configuration, "Sync:Worker:Enabled", true, problems);
        var poll = SettingValues.Int(configuration, "Sync:PollMilliseconds", 1000, 10, 60_000, problems);
        var lease = SettingValues.Int(configuration, "Sync:LeaseSeconds", 60, 1, 3600, problems);
        var attempts = SettingValues.Int(configuration, "Sync:MaxAttempts", 5, 1, 100, problems);
        var runner = configuration["Sync:Runner"] is { Length: > 0 } rawRunner ? rawRunner : "worker";
        if (runner is not ("worker" or "durable"))
        {
            problems.Add($"Sync:Runner: '{runner}' is not worker or durable.");
        }

        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        var durable = runner == "durable";
        var options = new CodeSyncOptions(mirrors, worker && !durable, TimeSpan.FromMilliseconds(poll), TimeSpan.FromSeconds(lease), attempts, Durable: durable);
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
        services.AddSingleton<CodeSyncWorker>();
        // The orchestration and its activities are registered in every configuration (the Functions wrappers
        // are checked against them); only Sync:Runner = durable hands queued syncs to them.
        services.AddDurableOrchestrator<CodeSyncOrchestration>();
        services.AddDurableActivity<CodeSyncStageActivity>();
        services.AddDurableActivity<CodeSyncFinishActivity>();
        if (durable)
        {
            services.AddSingleton<ISyncScheduler, DurableSyncScheduler>();
        }

        if (options.WorkerEnabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<CodeSyncWorker>());
        }

        services.AddSingleton<SearchService>();
        return services;
    }
}
