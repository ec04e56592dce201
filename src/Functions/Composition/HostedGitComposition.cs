using DevMentor.Core.HostedGit;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Projects;

namespace DevMentor.Functions.Composition;

/// <summary>Hosted repositories: bare repositories under the data dir served by git http-backend; their pushes become deliveries.</summary>
public static class HostedGitComposition
{
    public static IServiceCollection AddHostedGit(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        var directory = configuration["HostedGit:Directory"] is { Length: > 0 } dir
            ? Path.GetFullPath(dir, service.DataDirectory)
            : Path.Combine(service.DataDirectory, "hosted");
        services.AddSingleton(new HostedRepositoryRoot(directory));
        services.AddSingleton(new HostedGitOptions(directory));
        services.AddSingleton<HostedRepositories>();
        services.AddSingleton<GitHttpBackend>();
        services.AddSingleton<HostedGitService>();
        services.AddSingleton<IWebhookEventHandler, HostedPushHandler>();
        return services;
    }
}
