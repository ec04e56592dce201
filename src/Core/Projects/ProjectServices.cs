using DevMentor.Core.Caching;
using DevMentor.Core.Collaborators;
using DevMentor.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Core.Projects;

public static class ProjectServices
{
    /// <summary>Projects, collaborators, project access and API keys (the cache and database come from the foundation).</summary>
    public static IServiceCollection AddProjects(this IServiceCollection services)
    {
        services.AddSingleton<CacheMetrics>();
        services.AddSingleton<ProjectStore>();
        services.AddSingleton<ProjectVersionProbe>();
        services.AddSingleton<ProjectReader>();
        services.AddSingleton<ProjectAccess>();
        services.AddSingleton<ProjectService>();
        services.AddSingleton<CollaboratorStore>();
        services.AddSingleton<CollaboratorService>();
        services.AddSingleton<ApiKeyStore>();
        return services;
    }
}
