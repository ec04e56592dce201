using DevMentor.Core.Code;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Git;
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
        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        var options = new CodeSyncOptions(mirrors, worker, TimeSpan.FromMilliseconds(poll), TimeSpan.FromSeconds(lease), attempts);
        services.AddSingleton(options);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(CodeJsonContext.Default));
        services.TryAddSingleton<IGitRepositories, LibGit2Repositories>();
        services.AddSingleton<CodeStore>();
        services.AddSingleton<RepositoryMirrors>();
        services.AddSingleton<CodeIndexer>();
        services.AddSingleton<CodeSyncService>();
        services.AddSingleton<CodeService>();
        services.AddSingleton<ISyncBuildStarter, SyncBuildStarter>();
        services.AddSingleton<IAnalysisStatusReporter, AnalysisStatusReporter>();
        services.AddSingleton<CodeSyncWorker>();
        if (options.WorkerEnabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<CodeSyncWorker>());
        }

        services.AddSingleton<SearchService>();
        return services;
    }
}
