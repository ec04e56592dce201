using DevMentor.Core.Caching;
using DevMentor.Core.Security;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Core.Projects;

public static class ProjectServices
{
    /// <summary>Projects, project access and API keys (the cache and database come from the foundation).</summary>
    public static IServiceCollection AddProjects(this IServiceCollection services)
    {
        services.AddSingleton<CacheMetrics>();
        services.AddSingleton<ProjectStore>();
        services.AddSingleton<ProjectVersionProbe>();
        services.AddSingleton<ProjectReader>();
        services.AddSingleton<ProjectAccess>();
        services.AddSingleton<ProjectService>();
        services.AddSingleton<ApiKeyStore>();
        return services;
    }
}
