using DevMentor.Core.Durable;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Pipelines.Orchestration;

/// <summary>For orchestrator tests: the service's own pipeline activities give way to a test's recorders (the orchestrator stays the real one).</summary>
internal static class PipelineActivityOverrides
{
    public static IServiceCollection RemovePipelineActivities(this IServiceCollection services)
    {
        foreach (var real in services.Where(d => d.ImplementationInstance is DurableTaskDefinition { Kind: DurableTaskKind.Activity } t && t.Name.StartsWith("Pipeline", StringComparison.Ordinal)).ToList())
        {
            services.Remove(real);
        }

        return services;
    }
}
