using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;
using DevMentor.Core.Pipelines.Runners;
using DevMentor.Core.Scheduling;

namespace DevMentor.Functions.Composition;

/// <summary>The pipeline feature's wiring, kept out of the composition root's way.</summary>
public static class PipelineComposition
{
    public static IServiceCollection AddPipelines(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        var settings = PipelineSettings.Load(configuration, service);
        services.AddSingleton(settings);
        services.AddSingleton(settings.Engine);
        services.AddSingleton(settings.Runner);
        services.AddSingleton<StepAvailability>();
        services.AddSingleton<IPipelineStore, PostgresPipelineStore>();
        services.AddSingleton<IStepLogStore, PostgresStepLogStore>();
        services.AddSingleton<PipelineEngine>();
        services.AddSingleton<RunnerRegistry>();
        services.AddSingleton<ITimerFunction, PipelineSweeper>();
        if (settings.EmbeddedRunnerEnabled)
        {
            services.AddHostedService<EmbeddedRunner>();
        }

        return services;
    }
}
