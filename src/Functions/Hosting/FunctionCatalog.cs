using System.Reflection;
using DevMentor.Core.Scheduling;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Hosting;

/// <summary>How an HTTP function is guarded, read from ASP.NET Core's own attributes on its method or class.</summary>
/// <param name="AllowAnonymous">[AllowAnonymous]: no caller needed (health, webhooks, runners: they check their own credentials).</param>
/// <param name="Policy">[Authorize(Policy = …)]: a named authorization policy on top of a caller (platform admins).</param>
/// <param name="RateLimited">False with [DisableRateLimiting].</param>
/// <param name="MaxRequestBodyBytes">[RequestSizeLimit(n)]: this function's body limit instead of Limits:MaxRequestBodyBytes.</param>
public sealed record FunctionPolicy(bool AllowAnonymous, string? Policy, bool RateLimited, long? MaxRequestBodyBytes);

public sealed record HttpFunction(string Name, string Route, IReadOnlyList<string> Methods, string Tag, MethodInfo Method, FunctionPolicy Policy);

public sealed record TimerFunction(string Name, string Schedule, MethodInfo Method);

public enum DurableKind
{
    Orchestration,
    Activity,
    Entity,
}

public sealed record DurableFunction(string Name, DurableKind Kind, MethodInfo Method);

/// <summary>
/// Every <c>[Function]</c> of the app, read from the attributes the worker SDK reads to write
/// functions.metadata. It is the one definition both hosts work from: the standalone host maps
/// these routes and schedules, the worker middleware looks up a function's policy by name, and the
/// OpenAPI document lists them. Nothing here is declared a second time.
/// </summary>
public sealed class FunctionCatalog
{
    private readonly Dictionary<string, HttpFunction> _http;

    private FunctionCatalog(IReadOnlyList<HttpFunction> http, IReadOnlyList<TimerFunction> timers, IReadOnlyList<DurableFunction> durable)
    {
        Http = http;
        Timers = timers;
        Durable = durable;
        _http = http.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<HttpFunction> Http { get; }
    public IReadOnlyList<TimerFunction> Timers { get; }
    public IReadOnlyList<DurableFunction> Durable { get; }

    public IEnumerable<string> Names => Http.Select(f => f.Name).Concat(Timers.Select(t => t.Name)).Concat(Durable.Select(d => d.Name));

    public HttpFunction? FindHttp(string name) => _http.GetValueOrDefault(name);

    /// <summary>The app's own functions (this assembly).</summary>
    public static FunctionCatalog App { get; } = ForTypes(typeof(FunctionCatalog).Assembly.GetTypes());

    /// <exception cref="InvalidOperationException">A function without a name, methods or route, a bad schedule, or a name used twice.</exception>
    public static FunctionCatalog ForTypes(IEnumerable<Type> types)
    {
        var problems = new List<string>();
        var http = new List<HttpFunction>();
        var timers = new List<TimerFunction>();
        var durable = new List<DurableFunction>();
        foreach (var type in types.Where(t => t.IsClass && !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
                {
                    continue;
                }

                var name = function.Name;
                var where = $"{type.Name}.{method.Name}";
                foreach (var parameter in method.GetParameters())
                {
                    if (parameter.GetCustomAttribute<HttpTriggerAttribute>() is { } trigger)
                    {
                        if (HttpFunctionOf(name, where, trigger, type, method, problems) is { } found)
                        {
                            http.Add(found);
                        }
                    }
                    else if (parameter.GetCustomAttribute<TimerTriggerAttribute>() is { } timer)
                    {
                        if (TimerCatalog.TryParse(timer.Schedule, out _, out var error))
                        {
                            timers.Add(new TimerFunction(name, timer.Schedule, method));
                        }
                        else
                        {
                            problems.Add($"{where}: '{timer.Schedule}' is not a 6-field NCRONTAB schedule ({error}).");
                        }
                    }
                    else if (parameter.GetCustomAttribute<OrchestrationTriggerAttribute>() is not null)
                    {
                        durable.Add(new DurableFunction(name, DurableKind.Orchestration, method));
                    }
                    else if (parameter.GetCustomAttribute<ActivityTriggerAttribute>() is not null)
                    {
                        durable.Add(new DurableFunction(name, DurableKind.Activity, method));
                    }
                    else if (parameter.GetCustomAttribute<EntityTriggerAttribute>() is not null)
                    {
                        durable.Add(new DurableFunction(name, DurableKind.Entity, method));
                    }
                }
            }
        }

        var names = http.Select(f => f.Name).Concat(timers.Select(t => t.Name)).Concat(durable.Select(d => d.Name));
        foreach (var duplicate in names.GroupBy(n => n, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"Function name '{duplicate.Key}' is used {duplicate.Count()} times; function names must be unique.");
        }

        foreach (var clash in http.SelectMany(f => f.Methods.Select(m => (Key: (m, Normalize(f.Route)), f.Name)))
                     .GroupBy(x => x.Key).Where(g => g.Count() > 1))
        {
            problems.Add($"{clash.Key.m.ToUpperInvariant()} {clash.Key.Item2} is served by {string.Join(" and ", clash.Select(c => c.Name))}.");
        }

        return problems.Count > 0 ? throw new InvalidOperationException(string.Join(" ", problems)) : new FunctionCatalog(http, timers, durable);
    }

    private static HttpFunction? HttpFunctionOf(string name, string where, HttpTriggerAttribute trigger, Type type, MethodInfo method, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(trigger.Route))
        {
            problems.Add($"{where} ({name}) has no Route: every HTTP function names its route.");
            return null;
        }

        if (trigger.Methods is not { Length: > 0 } methods)
        {
            problems.Add($"{where} ({name}) accepts every method; name its methods.");
            return null;
        }

        if (trigger.AuthLevel != AuthorizationLevel.Anonymous)
        {
            // The host's function keys would sit in front of the service's own JWT/API-key authentication.
            problems.Add($"{where} ({name}) must use AuthorizationLevel.Anonymous: the service authenticates callers itself.");
            return null;
        }

        var anonymous = Attribute<AllowAnonymousAttribute>(method, type) is not null;
        var policy = Attribute<AuthorizeAttribute>(method, type)?.Policy;
        var rateLimited = Attribute<DisableRateLimitingAttribute>(method, type) is null;
        var limit = Attribute<RequestSizeLimitAttribute>(method, type) is { } size ? SizeLimit(size) : null;
        var tag = Attribute<TagsAttribute>(method, type)?.Tags is [var first, ..] ? first : type.Name.Replace("Functions", "", StringComparison.Ordinal);
        return new HttpFunction(name, trigger.Route.TrimStart('/'), methods.Select(m => m.ToLowerInvariant()).ToList(), tag, method,
            new FunctionPolicy(anonymous, policy, rateLimited, limit));
    }

    private static T? Attribute<T>(MethodInfo method, Type type) where T : Attribute =>
        method.GetCustomAttribute<T>() ?? type.GetCustomAttribute<T>();

    /// <summary>RequestSizeLimitAttribute keeps its bytes private; its filter metadata says them.</summary>
    private static long? SizeLimit(RequestSizeLimitAttribute attribute) =>
        ((Microsoft.AspNetCore.Http.Metadata.IRequestSizeLimitMetadata)attribute).MaxRequestBodySize;

    /// <summary>Two templates are the same route when only their parameter names or constraints differ.</summary>
    private static string Normalize(string route) =>
        string.Join('/', route.Split('/').Select(s => s.StartsWith('{') ? (s.StartsWith("{*", StringComparison.Ordinal) ? "{*}" : "{}") : s.ToLowerInvariant()));
}
