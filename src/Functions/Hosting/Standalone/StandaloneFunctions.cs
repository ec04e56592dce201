using DevMentor.Core.Scheduling;
using DevMentor.Functions.Timers;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Hosting.Standalone;

/// <summary>Serves the catalog's functions the way the Functions host would: HTTP routes, and timers for the scheduler.</summary>
public static class StandaloneFunctions
{
    /// <summary>Maps every HTTP function at its route and verbs; each request runs the worker middleware, then the function.</summary>
    public static IEndpointRouteBuilder MapFunctions(this IEndpointRouteBuilder routes, FunctionCatalog catalog)
    {
        foreach (var function in catalog.Http)
        {
            var invoker = FunctionInvoker.For(function.Method);
            var entryPoint = $"{function.Method.DeclaringType!.FullName}.{function.Method.Name}";
            routes.MapMethods("/" + function.Route, function.Methods.Select(m => m.ToUpperInvariant()).ToArray(), async http =>
                {
                    var services = http.RequestServices;
                    var context = new StandaloneFunctionContext(function.Name, entryPoint, services, http, http.RequestAborted);
                    await services.GetRequiredService<HttpFunctionMiddleware>().Invoke(context, async invoked =>
                    {
                        // The host's ASP.NET Core integration executes an IResult (or IActionResult) the function returns.
                        var result = await invoker.InvokeAsync(new Invocation(services, invoked, http, null, http.RequestAborted));
                        if (result is IResult answer)
                        {
                            await answer.ExecuteAsync(http);
                        }
                    });
                })
                .WithName(function.Name)
                .WithMetadata(function);
        }

        return routes;
    }

    /// <summary>The timer functions as the scheduler fires them: each claimed occurrence invokes the [Function] method.</summary>
    public static IEnumerable<TimerDefinition> Timers(FunctionCatalog catalog, IServiceProvider services) =>
        catalog.Timers.Select(timer =>
        {
            var invoker = FunctionInvoker.For(timer.Method);
            var entryPoint = $"{timer.Method.DeclaringType!.FullName}.{timer.Method.Name}";
            return new TimerDefinition(timer.Name, timer.Schedule, async (invocation, cancellationToken) =>
            {
                await using var scope = services.CreateAsyncScope();
                var context = new StandaloneFunctionContext(timer.Name, entryPoint, scope.ServiceProvider, null, cancellationToken);
                var info = new ScheduledTimerInfo { Invocation = invocation, IsPastDue = invocation.IsPastDue };
                await invoker.InvokeAsync(new Invocation(scope.ServiceProvider, context, null, info, cancellationToken));
            });
        });
}
