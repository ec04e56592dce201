using System.Globalization;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Security;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Http;

namespace DevMentor.Functions.Security;

/// <summary>
/// Fixed-window limits counted through <see cref="IRateLimitCounters"/> (in-process, or shared in
/// Redis): a request counts against its API key, else its user, else its client IP, each with its
/// own limit. Every counted answer carries RateLimit-Limit/Remaining/Reset; over the limit the
/// answer is 429 with Retry-After. Runs after authentication (it needs the caller) and before
/// authorization. Functions marked [DisableRateLimiting] are not counted: health probes (a throttled
/// liveness probe would restart a healthy instance), webhooks and runners (they authenticate
/// themselves and come from a few shared addresses).
/// </summary>
public sealed class RateLimitGate(IRateLimitCounters counters, RateLimitSettings settings, TimeProvider clock)
{
    public const string LimitHeader = "RateLimit-Limit";
    public const string RemainingHeader = "RateLimit-Remaining";
    public const string ResetHeader = "RateLimit-Reset";

    /// <returns>The 429 to answer with, or null to go on.</returns>
    public async ValueTask<IResult?> CheckAsync(HttpContext context)
    {
        if (!settings.Enabled)
        {
            return null;
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
        // Written as the answer starts rather than now: an answer to an exception clears the headers
        // of whatever was answered before (a 413 for a chunked body, a 503), and those answers count too.
        var values = new HeaderValues(context.Response, limit.ToString(CultureInfo.InvariantCulture),
            Math.Max(0, limit - count.Count).ToString(CultureInfo.InvariantCulture), reset);
        context.Response.OnStarting(HeaderValues.ApplyAsync, values);

        if (count.Count <= limit)
        {
            return null;
        }

        context.Response.Headers.RetryAfter = reset;
        return TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            type: ProblemTypes.TooManyRequests,
            title: "Too many requests",
            detail: $"The limit is {limit} requests per {settings.Window.TotalSeconds:0} s; try again in {reset} s.");
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
}
