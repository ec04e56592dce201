using DevMentor.Core.Durable;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.DurableTask.Client;

namespace DevMentor.Functions.Durable;

/// <summary>
/// Under the Functions host a Durable client exists only as a <c>[DurableClient]</c> binding (it carries the host's
/// gRPC endpoint). This worker middleware binds it on the first invocation of a function that declares one and offers
/// it to <see cref="DurableClientSource"/>, where services find it; the standalone host offers its own instead.
/// </summary>
public sealed class DurableClientCapture(DurableClientSource clients) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (!clients.IsReady &&
            context.FunctionDefinition.InputBindings.Values.FirstOrDefault(b => b.Type.Equals("durableClient", StringComparison.OrdinalIgnoreCase)) is { } binding)
        {
            var bound = await context.BindInputAsync<DurableTaskClient>(binding);
            if (bound.Value is { } client)
            {
                clients.Offer(client);
            }
        }

        await next(context);
    }
}
