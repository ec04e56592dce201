using System.Reflection;
using DevMentor.Core.Durable;
using DevMentor.Functions.Hosting;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Durable;

/// <summary>
/// The Durable foundation: the standalone host runs the app's orchestrations on DurableTask.AzureStorage (here the
/// shared test Azurite) through the in-process sidecar, and the Functions host's hand-written wrappers are exactly the
/// registered tasks, each calling its class with the class's own input and output types.
/// </summary>
public sealed class DurableHubTests
{
    [Fact]
    public async Task A_chain_of_activities_completes_on_the_storage_backend_through_the_sidecar()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("durable_smoke"));
        var client = await app.Services.GetRequiredService<DurableClientSource>().GetAsync(CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(NoOpChain), 5, timeout.Token);
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal(5, done.ReadOutputAs<int>());
    }

    [Fact]
    public async Task Every_registered_task_has_exactly_one_functions_wrapper_of_its_kind_name_and_types()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("durable_wrappers"));
        var registered = app.Services.GetRequiredService<DurableTaskCatalog>().Definitions;
        var wrappers = FunctionCatalog.App.Durable;

        Assert.Contains(registered, d => d.Type == typeof(NoOpChain));
        Assert.Equal(
            registered.Select(d => (d.Name, Kind: d.Kind == DurableTaskKind.Orchestrator ? DurableKind.Orchestration : DurableKind.Activity)).Order(),
            wrappers.Select(w => (w.Name, w.Kind)).Order());
        foreach (var definition in registered)
        {
            var method = wrappers.Single(w => w.Name == definition.Name).Method;
            Assert.Equal(typeof(Task<>).MakeGenericType(definition.OutputType), method.ReturnType);
            if (definition.Kind == DurableTaskKind.Activity)
            {
                var trigger = method.GetParameters().Single(p => p.GetCustomAttribute<ActivityTriggerAttribute>() is not null);
                Assert.Equal(definition.InputType, trigger.ParameterType);
            }
            else
            {
                Assert.Contains(method.GetParameters(), p => p.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null && p.ParameterType == typeof(TaskOrchestrationContext));
            }

            // The wrapper hands over to the registered class, not to a copy of its code.
            Assert.True(CallsWrapperFor(method, definition.Type), $"{method.DeclaringType!.Name}.{method.Name} does not call DurableWrappers with {definition.Type.Name}.");
        }
    }

    /// <summary>The wrapper's generic call names the task class (read from the method's IL tokens).</summary>
    private static bool CallsWrapperFor(MethodInfo method, Type task)
    {
        var il = method.GetMethodBody()!.GetILAsByteArray()!;
        for (var i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (0x28 or 0x6F)) // call, callvirt
            {
                continue;
            }

            try
            {
                var called = method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1), method.DeclaringType!.GetGenericArguments(), null);
                if (called is MethodInfo { IsGenericMethod: true } generic && generic.DeclaringType == typeof(DevMentor.Functions.Durable.DurableWrappers) &&
                    generic.GetGenericArguments()[0] == task)
                {
                    return true;
                }
            }
            catch (ArgumentException)
            {
                // Not a method token at this offset.
            }
        }

        return false;
    }
}
