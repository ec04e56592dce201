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
        services.AddProblemDetails(CustomizeProblemDetails)
            .AddSingleton<IProblemDetailsWriter, ProblemJsonFallbackWriter>();

    private static void CustomizeProblemDetails(ProblemDetailsOptions options) =>
        options.CustomizeProblemDetails = context =>
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

            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                // A dependency is down: tell clients when to come back rather than leaving them to guess.
                context.HttpContext.Response.Headers.RetryAfter = "10";
                context.ProblemDetails.Detail ??= "A service this request needs (the database) is unavailable; try again shortly.";
            }

            context.ProblemDetails.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier;
        };

    /// <summary>The database (or the network to it) failing, as opposed to a bug: worth a retry, so 503.</summary>
    public static bool IsDependencyOutage(Exception exception) => exception switch
    {
        Npgsql.PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState is "57P01" or "57P02" or "57P03" or "53300",
        Npgsql.NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
        TimeoutException or System.Net.Sockets.SocketException => true,
        _ => exception.InnerException is { } inner && IsDependencyOutage(inner),
    };

    /// <summary>
    /// The status an exception answers with. Kestrel reports a body over the limit, or one that ends
    /// early, as BadHttpRequestException with the right status; malformed JSON reaching a function is
    /// the client's fault too; a dependency outage is worth a retry.
    /// </summary>
    public static int StatusFor(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        JsonException => StatusCodes.Status400BadRequest,
        _ when IsDependencyOutage(exception) => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>The problem for an exception a function threw; a 500 says nothing of the exception (it is logged).</summary>
    public static IResult ForException(Exception exception)
    {
        var status = StatusFor(exception);
        return TypedResults.Problem(
            statusCode: status,
            type: ProblemTypes.ForStatus(status),
            title: ReasonPhrase(status),
            detail: status < 500 ? exception.Message : null);
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);

    /// <summary>
    /// For what reaches the standalone host but no function (an unknown route, a wrong method, a
    /// malformed request Kestrel refuses): the Functions host answers those itself.
    /// </summary>
    public static WebApplication UseDevMentorProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions { StatusCodeSelector = StatusFor });
        app.UseStatusCodePages();
        return app;
    }
}
