using DevMentor.Functions.Hosting;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Tests.Hosting;

/// <summary>The rules the catalog enforces when the app starts, and the policies it reads from ASP.NET Core's attributes.</summary>
public sealed class FunctionCatalogTests
{
    [Tags("Things")]
    private sealed class Things
    {
        [Function("GetThing")]
        public static IResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "things/{id}")] HttpRequest request, string id) => Results.Ok(id);

        [Function("SaveThing")]
        [AllowAnonymous]
        [DisableRateLimiting]
        [RequestSizeLimit(5000)]
        public static IResult Save([HttpTrigger(AuthorizationLevel.Anonymous, "post", "PUT", Route = "/things")] HttpRequest request) => Results.Ok();

        [Function("Sweep")]
        public static Task Sweep([TimerTrigger("0 */5 * * * *")] TimerInfo timer) => Task.CompletedTask;

        [Function("RunThing")]
        public static Task<string> Run([OrchestrationTrigger] Microsoft.DurableTask.TaskOrchestrationContext context) => Task.FromResult("");

        [Function("DoThing")]
        public static string Do([ActivityTrigger] string input) => input;

        public static void NotAFunction()
        {
        }
    }

    [Authorize(Policy = "Admin")]
    private sealed class AdminThings
    {
        [Function("ListAdminThings")]
        public static IResult List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "admin/things")] HttpRequest request) => Results.Ok();
    }

    private sealed class Duplicate
    {
        [Function("getthing")]
        public static IResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "other")] HttpRequest request) => Results.Ok();
    }

    private sealed class EveryMethod
    {
        [Function("AnyMethod")]
        public static IResult Any([HttpTrigger(AuthorizationLevel.Anonymous, Route = "any")] HttpRequest request) => Results.Ok();
    }

    private sealed class NoRoute
    {
        [Function("NoRoute")]
        public static IResult Get([HttpTrigger(AuthorizationLevel.Anonymous, "get")] HttpRequest request) => Results.Ok();
    }

    private sealed class KeyProtected
    {
        [Function("Keyed")]
        public static IResult Get([HttpTrigger(AuthorizationLevel.Function, "get", Route = "keyed")] HttpRequest request) => Results.Ok();
    }

    private sealed class BadSchedule
    {
        [Function("EveryMinute")]
        public static Task Run([TimerTrigger("*/1 * * * *")] TimerInfo timer) => Task.CompletedTask;
    }

    private sealed class SameRoute
    {
        [Function("ReadOne")]
        public static IResult One([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "things/{thingId:guid}")] HttpRequest request) => Results.Ok();
    }

    [Fact]
    public void Functions_are_read_from_their_attributes_with_host_routes_lower_case_verbs_and_policies()
    {
        var catalog = FunctionCatalog.ForTypes([typeof(Things), typeof(AdminThings)]);

        Assert.Equal(["DoThing", "GetThing", "ListAdminThings", "RunThing", "SaveThing", "Sweep"], catalog.Names.Order(StringComparer.Ordinal));
        var save = catalog.FindHttp("savething")!;
        Assert.Equal("things", save.Route);
        Assert.Equal(["post", "put"], save.Methods);
        Assert.Equal(new FunctionPolicy(AllowAnonymous: true, Policy: null, RateLimited: false, MaxRequestBodyBytes: 5000), save.Policy);
        Assert.Equal("Things", save.Tag);
        Assert.Equal(new FunctionPolicy(false, null, true, null), catalog.FindHttp("GetThing")!.Policy);
        Assert.Equal("Admin", catalog.FindHttp("ListAdminThings")!.Policy.Policy);
        Assert.Equal("0 */5 * * * *", Assert.Single(catalog.Timers).Schedule);
        Assert.Equal([DurableKind.Activity, DurableKind.Orchestration], catalog.Durable.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d => d.Kind));
    }

    [Theory]
    [InlineData(typeof(Duplicate), "Function name 'GetThing' is used 2 times")]
    [InlineData(typeof(EveryMethod), "accepts every method")]
    [InlineData(typeof(NoRoute), "has no Route")]
    [InlineData(typeof(KeyProtected), "must use AuthorizationLevel.Anonymous")]
    [InlineData(typeof(BadSchedule), "is not a 6-field NCRONTAB schedule")]
    [InlineData(typeof(SameRoute), "GET things/{} is served by")]
    public void A_broken_function_stops_the_start_with_a_message_naming_it(Type broken, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => FunctionCatalog.ForTypes([typeof(Things), broken]));

        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_apps_own_catalog_is_valid_and_every_http_function_names_a_tag()
    {
        var catalog = FunctionCatalog.App;

        Assert.NotEmpty(catalog.Http);
        Assert.All(catalog.Http, f => Assert.False(string.IsNullOrWhiteSpace(f.Tag)));
        // Only health probes, webhooks, the runner API (its own tokens), the dashboard's page and assets (which hold
        // no data: the page signs in to the API) and hosted git (which answers anonymous callers with its own Basic challenge) let anonymous callers in.
        string[] anonymous = ["GitHubWebhook", "GitLabWebhook", "Health", "HealthReady", "RegisterRunner", "ClaimRunnerJob", "RunnerJobArtifact", "RunnerJobComplete",
            "RunnerJobHeartbeat", "RunnerJobLog", "RunnerJobTests", "RunnerQueue", "GetDashboard", "GetDashboardAsset", "GetProjectDashboard", "HostedGit"];
        Assert.Equal(anonymous.Order(StringComparer.Ordinal), catalog.Http.Where(f => f.Policy.AllowAnonymous).Select(f => f.Name).Order(StringComparer.Ordinal));
    }
}
