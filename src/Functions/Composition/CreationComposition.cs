using DevMentor.Core.Creation;
using DevMentor.Core.Creation.Hosts;
using DevMentor.Core.Durable;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.GitLab;

namespace DevMentor.Functions.Composition;

/// <summary>The creation flow of template projects: its orchestration, activities, store, service and repository hosts (hosted, GitHub, GitLab).</summary>
public static class CreationComposition
{
    public static IServiceCollection AddCreation(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        var work = configuration["Creation:WorkDirectory"] is { Length: > 0 } dir ? Path.GetFullPath(dir, service.DataDirectory) : Path.Combine(service.DataDirectory, "creation");
        services.AddSingleton(new CreationOptions(
            work,
            NpmPath: configuration["Creation:NpmPath"] is { Length: > 0 } npm ? npm : "npm",
            GoPath: configuration["Creation:GoPath"] is { Length: > 0 } go ? go : "go",
            PublicBaseUrl: WebhookComposition.PublicBaseUrl(configuration)));
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(CreationJsonContext.Default));
        services.AddSingleton<CreationStore>();
        services.AddSingleton<CreationDependencies>();
        services.AddSingleton<CreationFinishing>();
        services.AddSingleton<CreationRemoteWork>();
        // GitHub through Octokit (GitHubApi, from AddWebhooks); GitLab through its REST API with the named "gitlab" HttpClient.
        services.AddSingleton<IRemoteRepositoryHost, GitHubCreationHost>();
        services.AddSingleton<IRemoteRepositoryHost, GitLabCreationHost>();
        services.AddSingleton<CreationWork>();
        services.AddSingleton<CreationStepRunner>();
        services.AddSingleton<ProjectCreationService>();
        services.AddDurableOrchestrator<ProjectCreationOrchestrator>();
        services.AddDurableActivity<CreateRepositoryActivity>();
        services.AddDurableActivity<InitialCommitActivity>();
        services.AddDurableActivity<DependenciesActivity>();
        services.AddDurableActivity<ContinuousIntegrationActivity>();
        services.AddDurableActivity<IndexActivity>();
        return services;
    }
}
