using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.Net.Http.Headers;

namespace DevMentor.Functions.Security;

/// <summary>
/// CORS with the service's one policy (Host:CORS, Host:CORSCredentials), evaluated by ASP.NET Core's
/// own CORS service. Answers to functions get their headers here under both hosts; preflights never
/// reach a function (no function serves OPTIONS): the Functions platform answers them under the host
/// (its CORS setting, from the same Host:CORS), and the standalone host asks <see cref="TryAnswerPreflightAsync"/>.
/// </summary>
public sealed class CorsGate(ICorsService cors, ICorsPolicyProvider policies)
{
    public async ValueTask ApplyAsync(HttpContext context)
    {
        if (!context.Request.Headers.ContainsKey(HeaderNames.Origin) || await policies.GetPolicyAsync(context, null) is not { } policy)
        {
            return;
        }

        cors.ApplyResult(cors.EvaluatePolicy(context, policy), context.Response);
    }

    /// <returns>True when the request was a preflight and has been answered (204, with the allowed headers when the origin is allowed).</returns>
    public async ValueTask<bool> TryAnswerPreflightAsync(HttpContext context)
    {
        if (!HttpMethods.IsOptions(context.Request.Method) || !context.Request.Headers.ContainsKey(HeaderNames.Origin) ||
            !context.Request.Headers.ContainsKey(HeaderNames.AccessControlRequestMethod))
        {
            return false;
        }

        if (await policies.GetPolicyAsync(context, null) is { } policy)
        {
            cors.ApplyResult(cors.EvaluatePolicy(context, policy), context.Response);
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return true;
    }
}
