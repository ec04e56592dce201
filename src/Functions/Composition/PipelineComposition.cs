using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Builds.Git;
using DevMentor.Core.Pipelines.Results;
using DevMentor.Core.Builds.Runs;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Durable;
using DevMentor.Core.Pipelines.Execution;
using DevMentor.Core.Pipelines.Orchestration;
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
        services.AddSingleton<PostgresPipelineStore>();
        services.AddSingleton<IPipelineStore>(sp => sp.GetRequiredService<PostgresPipelineStore>());
        services.AddSingleton<RunOutboxSignal>();
        services.AddSingleton<StepOutcomeWaiters>();
        services.AddSingleton<RunOrchestrations>();
        if (settings.OutboxDispatch)
        {
            services.AddHostedService<RunOutboxDispatcher>();
        }

        services.AddDurableOrchestrator<PipelineRunOrchestrator>();
        services.AddDurableActivity<QueueStepActivity>();
        services.AddDurableActivity<CheckStepTimeoutActivity>();
        services.AddDurableActivity<FinishRunActivity>();
        services.AddDurableActivity<RequestApprovalActivity>();
        services.AddDurableActivity<ExpireApprovalActivity>();
        services.AddSingleton<IStepLogStore, BlobStepLogStore>();
        services.AddSingleton<PipelineTelemetryStore>();
        services.AddSingleton<PipelineTelemetry>();
        services.AddSingleton<PipelineEngine>();
        if (settings.CloneRepositories)
        {
            services.AddSingleton<IRunDefinitionSource, RepositoryRunDefinitions>();
        }

        services.AddSingleton<TestResultStore>();
        services.AddSingleton<IArtifactStore, PostgresArtifactStore>();
        services.AddSingleton<BuildResults>();
        services.AddSingleton<BuildOutputService>();
        services.AddSingleton(BuildStepConfiguration.Settings(configuration));
        services.AddSingleton<GitCheckout>();
        services.AddSingleton<IBuiltInStep, CloneStep>();
        services.AddSingleton<RunnerRegistry>();
        services.AddSingleton<BuildService>();
        services.AddSingleton<ApprovalService>();
        services.AddSingleton<PipelineSweeper>();
        if (settings.EmbeddedRunnerEnabled)
        {
            services.AddHostedService<EmbeddedRunner>();
        }

        return services;
    }
}
