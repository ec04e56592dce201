using System.Globalization;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Security;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Http;
using DevMentor.Functions.Timers;
using Microsoft.AspNetCore.RateLimiting;

namespace DevMentor.Functions.Security;

/// <summary>
/// Fixed-window limits counted through <see cref="IRateLimitCounters"/> (in-process, or shared in
/// Redis): a request counts against its API key, else its user, else its client IP, each with its
/// own limit. Every counted answer carries RateLimit-Limit/Remaining/Reset; over the limit the
/// answer is 429 with Retry-After. Runs after authentication (it needs the caller) and before
/// authorization. Health probes and the Functions host's timer invocations are not counted: a
/// throttled liveness probe would restart a healthy instance.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, IRateLimitCounters counters, RateLimitSettings settings, TimeProvider clock)
{
    public const string LimitHeader = "RateLimit-Limit";
    public const string RemainingHeader = "RateLimit-Remaining";
    public const string ResetHeader = "RateLimit-Reset";

    public async Task InvokeAsync(HttpContext context)
    {
        if (!settings.Enabled || IsExempt(context))
        {
            await next(context);
            return;
        }

        var caller = Caller.From(context.User);
        var (partition, limit) = caller switch
        {
            { ApiKeyId: { } key } => ($"rl:apikey:{key:N}", settings.PerApiKey),
            { UserId: { } user } => ($"rl:user:{user}", settings.PerUser),
            _ => ($"rl:ip:{context.Connection.RemoteIpAddress?.ToString() ?? "unknown"}", settings.PerIp),
        };

        var count = await counters.IncrementAsync(partition, settings.Window, context.RequestAborted);
        var resetSeconds = Math.Max(1, (long)Math.Ceiling((count.ResetAt - clock.GetUtcNow()).TotalSeconds));
        var reset = resetSeconds.ToString(CultureInfo.InvariantCulture);
        // Written as the answer starts rather than now: the exception handler clears the headers of
        // whatever it answers instead (a 413 for a chunked body, a 503), and those answers count too.
        var values = new HeaderValues(context.Response, limit.ToString(CultureInfo.InvariantCulture),
            Math.Max(0, limit - count.Count).ToString(CultureInfo.InvariantCulture), reset);
        context.Response.OnStarting(HeaderValues.ApplyAsync, values);

        if (count.Count > limit)
        {
            context.Response.Headers.RetryAfter = reset;
            await TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                type: ProblemTypes.TooManyRequests,
                title: "Too many requests",
                detail: $"The limit is {limit} requests per {settings.Window.TotalSeconds:0} s; try again in {reset} s.").ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private sealed record HeaderValues(HttpResponse Response, string Limit, string Remaining, string Reset)
    {
        public static readonly Func<object, Task> ApplyAsync = state =>
        {
            var values = (HeaderValues)state;
            var headers = values.Response.Headers;
            headers[LimitHeader] = values.Limit;
            headers[RemainingHeader] = values.Remaining;
            headers[ResetHeader] = values.Reset;
            return Task.CompletedTask;
        };
    }

    private static bool IsExempt(HttpContext context)
    {
        if (context.Request.Path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var endpoint = context.GetEndpoint();
        return endpoint?.Metadata.GetMetadata<TimerFunctionMetadata>() is not null ||
               endpoint?.Metadata.GetMetadata<DisableRateLimitingAttribute>() is not null;
    }
}
