using DevMentor.Core.Scheduling;
using DevMentor.Functions.Timers;

namespace DevMentor.Functions.Catalog;

public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods);

public sealed record TimerFunction(string Name, string Schedule);

/// <summary>
/// The app's functions as the Azure Functions host sees them: every HTTP endpoint (its endpoint
/// name is the function name) and every timer. Built from the live endpoint table, so the
/// manifest can never drift from what the service serves.
/// </summary>
public sealed record FunctionCatalog(IReadOnlyList<HttpFunction> Http, IReadOnlyList<TimerFunction> Timers)
{
    public IEnumerable<string> Names => Http.Select(f => f.Name).Concat(Timers.Select(t => t.Name));

    public static FunctionCatalog From(IEndpointRouteBuilder routes, TimerCatalog timers)
    {
        var problems = new List<string>();
        var http = new List<HttpFunction>();
        foreach (var endpoint in routes.DataSources.SelectMany(s => s.Endpoints).OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<TimerFunctionMetadata>() is not null)
            {
                continue;
            }

            var route = endpoint.RoutePattern.RawText ?? "";
            var name = endpoint.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            if (string.IsNullOrWhiteSpace(name))
            {
                problems.Add($"The endpoint for '{route}' has no name (.WithName): every HTTP function needs one.");
                continue;
            }

            if (methods is null || methods.Count == 0)
            {
                problems.Add($"Function {name} ('{route}') accepts every method; name its methods.");
                continue;
            }

            http.Add(new HttpFunction(name, ToFunctionsRoute(route), methods.Select(m => m.ToLowerInvariant()).ToList()));
        }

        var catalog = new FunctionCatalog(http, timers.Timers.Select(t => new TimerFunction(t.Name, t.Expression)).ToList());
        foreach (var duplicate in catalog.Names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"Function name '{duplicate.Key}' is used {duplicate.Count()} times; function names must be unique.");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", problems));
        }

        return catalog;
    }

    /// <summary>The host's route templates have no leading slash and spell catch-all as {*name}.</summary>
    public static string ToFunctionsRoute(string aspNetRoute) =>
        aspNetRoute.TrimStart('/').Replace("{**", "{*", StringComparison.Ordinal);
}
