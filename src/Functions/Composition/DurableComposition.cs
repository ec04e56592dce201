using DevMentor.Core.Durable;
using DevMentor.Functions.Durable;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Durable Task for both hosts. Features add their orchestrators and activities with
/// <see cref="DurableTaskServices.AddDurableOrchestrator{T}"/> / <see cref="DurableTaskServices.AddDurableActivity{T}"/>;
/// the standalone host registers them with its own worker over <see cref="DurableBackend"/>, the Functions host calls
/// them through hand-written wrappers. Services reach the client through <see cref="DurableClientSource"/>.
/// Call after AddStorage (the backend starts after storage) and before features that use Durable.
/// </summary>
public static class DurableComposition
{
    public static IServiceCollection AddDurable(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        services.AddSingleton<DurableTaskCatalog>();
        services.AddSingleton<DurableClientSource>();
        services.AddDurableOrchestrator<NoOpChain>();
        services.AddDurableActivity<NoOp>();
        if (service.UnderFunctionsHost)
        {
            services.AddSingleton<DurableClientCapture>();
            return services;
        }

        var settings = DurableSettings.Load(configuration, service);
        var sidecar = new DurableSidecar();
        services.AddSingleton(settings);
        services.AddSingleton(sidecar);
        services.AddHostedService<DurableBackend>();
        // Durable:Worker:Enabled=false makes an instance that only starts instances and raises events (an API-only
        // instance): with no worker connected, the sidecar never starts the hub's dispatchers, so it takes no partition.
        if (configuration.GetValue("Durable:Worker:Enabled", true))
        {
            services.AddDurableTaskWorker(worker =>
            {
                worker.UseGrpc(sidecar.Channel);
                // Read when the worker's options are built, after every feature has added its tasks.
                worker.AddTasks(registry => new DurableTaskCatalog(services.DurableTasks()).Register(registry));
            });
        }

        services.AddDurableTaskClient(client =>
        {
            client.UseGrpc(sidecar.Channel);
            client.RegisterDirectly();
        });
        return services;
    }
}
