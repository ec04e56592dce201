using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace DevMentor.Functions.Http;

/// <summary>
/// Every error the service answers is RFC 9457 problem+json with a stable type and the trace id,
/// including the ones the framework produces itself (unknown route, wrong method, body too large,
/// unreadable JSON).
/// </summary>
public static class ProblemDetailsSetup
{
    public static IServiceCollection AddDevMentorProblemDetails(this IServiceCollection services) =>
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            if (string.IsNullOrEmpty(context.ProblemDetails.Type) || context.ProblemDetails.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            {
                context.ProblemDetails.Type = ProblemTypes.ForStatus(status);
            }

            if (context.Exception is BadHttpRequestException or JsonException && status < 500)
            {
                context.ProblemDetails.Detail ??= context.Exception.Message;
            }

            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
        });

    public static WebApplication UseDevMentorProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Kestrel reports a body over the limit, or one that ends early, as BadHttpRequestException
            // with the right status; malformed JSON reaching a handler is the client's fault too.
            StatusCodeSelector = exception => exception switch
            {
                BadHttpRequestException bad => bad.StatusCode,
                JsonException => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status500InternalServerError,
            },
        });
        app.UseStatusCodePages();
        return app;
    }
}
