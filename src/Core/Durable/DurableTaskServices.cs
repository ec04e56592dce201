using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Core.Durable;

/// <summary>
/// How a feature adds its orchestrators and activities: one call per class in its <c>Add&lt;Feature&gt;()</c>.
/// The list (<see cref="DurableTaskCatalog"/>) is what the standalone worker registers and what the test of the
/// Functions wrappers compares against.
/// </summary>
public static class DurableTaskServices
{
    public static IServiceCollection AddDurableOrchestrator<T>(this IServiceCollection services) where T : class, ITaskOrchestrator =>
        services.AddSingleton(DurableTaskDefinition.Of(typeof(T)));

    /// <summary>Activities are created from the services per call (constructor injection), under both hosts.</summary>
    public static IServiceCollection AddDurableActivity<T>(this IServiceCollection services) where T : class, ITaskActivity =>
        services.AddSingleton(DurableTaskDefinition.Of(typeof(T)));

    /// <summary>The definitions registered so far, read from the collection itself (for registries configured before the provider exists).</summary>
    public static IReadOnlyList<DurableTaskDefinition> DurableTasks(this IServiceCollection services) =>
        services.Where(d => d.ServiceType == typeof(DurableTaskDefinition) && d.ImplementationInstance is DurableTaskDefinition)
            .Select(d => (DurableTaskDefinition)d.ImplementationInstance!).ToList();
}
