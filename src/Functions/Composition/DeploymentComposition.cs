using DevMentor.Core.Builds.Images;
using DevMentor.Core.Pipelines.Execution;

namespace DevMentor.Functions.Composition;

/// <summary>Images (the "image" built-in step) and deployments, wired apart from the composition root.</summary>
public static class DeploymentComposition
{
    public static IServiceCollection AddImagesAndDeployments(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        services.AddSingleton(RegistrySettings.Load(configuration, service));
        services.AddSingleton<ImageBuildStep>();
        services.AddSingleton<IBuiltInStep>(sp => sp.GetRequiredService<ImageBuildStep>());
        return services;
    }
}
