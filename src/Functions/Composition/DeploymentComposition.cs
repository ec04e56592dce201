using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Builds.Images;
using DevMentor.Core.Durable;
using DevMentor.Core.Deployments;
using DevMentor.Core.Pipelines.Execution;
using DevMentor.Functions.Deployments;

namespace DevMentor.Functions.Composition;

/// <summary>Images (the "image" built-in step) and deployments, wired apart from the composition root.</summary>
public static class DeploymentComposition
{
    public static IServiceCollection AddImagesAndDeployments(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        services.AddSingleton(RegistrySettings.Load(configuration, service));
        services.AddSingleton<ImageBuildStep>();
        services.AddSingleton<IBuiltInStep>(sp => sp.GetRequiredService<ImageBuildStep>());

        var options = DeploymentSettings.Load(configuration, service, service.UnderFunctionsHost);
        services.AddSingleton(options);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(DeploymentsJsonContext.Default));
        services.AddSingleton<PostgresDeploymentStore>();
        services.AddSingleton<DeployableRuns>();
        services.AddSingleton<DeploymentSignal>();
        services.AddSingleton<DeploymentCancellations>();
        services.AddSingleton<DeploymentService>();
        services.AddSingleton<LocalReleases>();
        // The first registered artifact store: tests register their double before the composition runs.
        services.AddSingleton(sp => new LocalTarget(options, sp.GetRequiredService<LocalReleases>(), sp.GetServices<IArtifactStore>().FirstOrDefault(), new ImageReleases(sp.GetRequiredService<RegistryOptions>())));
        services.AddSingleton<WebhookTarget>();
        services.AddSingleton<AutoDeployer>();
        services.AddDurableActivity<PlanApprovalsActivity>();
        services.AddDurableActivity<PlanDeploymentsActivity>();
        services.AddDurableActivity<StartDeploymentActivity>();
        services.AddDurableActivity<StopDeploymentActivity>();
        services.AddSingleton<DeploymentWorker>();
        if (options.WorkerEnabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<DeploymentWorker>());
        }

        return services;
    }
}
