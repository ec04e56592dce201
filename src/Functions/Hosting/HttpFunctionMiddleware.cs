using System.Diagnostics;
using DevMentor.Core.Analytics;
using DevMentor.Core.Security;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Http;
using DevMentor.Functions.Security;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace DevMentor.Functions.Hosting;

/// <summary>
/// What every HTTP function gets, written once: CORS headers, authentication (JWT or API key), rate
/// limits and their headers, the body limit, input no function can store (JsonInputGuard), the caller
/// rule and policies, and problem+json (with
/// the trace id) for whatever a function throws. ETag/304 is the functions' own (ConditionalGet).
/// Under the Functions host this is worker middleware, after the ASP.NET Core integration has put
/// the request's HttpContext into the FunctionContext; the standalone host runs the same class with
/// a <see cref="Standalone.StandaloneFunctionContext"/>. Timers, orchestrations and activities pass through.
/// </summary>
public sealed partial class HttpFunctionMiddleware(
    FunctionCatalog catalog,
    CorsGate cors,
    RateLimitGate rateLimits,
    CallerGate callers,
    ServiceSettings settings,
    UsageRecorder usage,
    TimeProvider clock,
    ILogger<HttpFunctionMiddleware> logger) : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        if (context.GetHttpContext() is not { } http || catalog.FindHttp(context.FunctionDefinition.Name) is not { } function)
        {
            await next(context);
            return;
        }

        var arrived = clock.GetUtcNow();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await InvokeHttpAsync(context, next, http, function);
        }
        finally
        {
            // Usage analytics: one queued event per call, whatever its outcome (refusals included).
            var caller = Caller.From(http.User);
            usage.Record(new UsageEvent(arrived, function.Name, http.Response.StatusCode,
                Stopwatch.GetElapsedTime(started).TotalMilliseconds, caller.UserId, caller.ApiKeyId));
        }
    }

    private async Task InvokeHttpAsync(FunctionContext context, FunctionExecutionDelegate next, HttpContext http, HttpFunction function)
    {
        try
        {
            await cors.ApplyAsync(http);
            await CallerGate.AuthenticateAsync(http);
            var refused = (function.Policy.RateLimited ? await rateLimits.CheckAsync(http) : null)
                ?? RequestBodyLimit.Apply(http, function.Policy.MaxRequestBodyBytes ?? settings.MaxRequestBodyBytes)
                ?? await JsonInputGuard.CheckAsync(http)
                ?? await callers.AuthorizeAsync(http, function.Policy);
            if (refused is not null)
            {
                // Written here rather than returned: the function did not run, so it has no result to give.
                await refused.ExecuteAsync(http);
                return;
            }

            await next(context);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nobody is left to answer.
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var status = ProblemDetailsSetup.StatusFor(e);
            if (status >= 500)
            {
                LogFailed(logger, e, function.Name, status);
            }

            // Whatever the function had set (an ETag, a Location) no longer describes the answer; CORS still does.
            http.Response.Clear();
            await cors.ApplyAsync(http);
            await ProblemDetailsSetup.ForException(e).ExecuteAsync(http);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Function} failed; answered {Status}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string function, int status);
}
