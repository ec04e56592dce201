using DevMentor.Core.Scheduling;
using DevMentor.Functions.Catalog;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Functions.Tests.Catalog;

/// <summary>The rules the catalog enforces at start: every HTTP function named, with its methods, and no name used twice.</summary>
public sealed class FunctionCatalogTests
{
    private sealed class NamedTimer(string name) : ITimerFunction
    {
        public string Name => name;
        public string Schedule => "0 0 * * * *";
        public Task RunAsync(TimerInvocation invocation, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private static TimerCatalog Timers(params string[] names) =>
        new(names.Select(n => (ITimerFunction)new NamedTimer(n)), new ConfigurationBuilder().Build());

    private static async Task<FunctionCatalog> CatalogAsync(Action<WebApplication> map, TimerCatalog timers)
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();
        map(app);
        return FunctionCatalog.From(app, timers);
    }

    [Fact]
    public async Task Named_endpoints_and_timers_make_the_catalog_with_host_routes_and_lower_case_verbs()
    {
        var catalog = await CatalogAsync(app =>
        {
            app.MapGet("/things/{id}", (string id) => id).WithName("GetThing");
            app.MapMethods("/things", ["POST", "PUT"], () => "ok").WithName("SaveThing");
        }, Timers("Sweep"));

        Assert.Equal(["GetThing", "SaveThing", "Sweep"], catalog.Names.Order(StringComparer.Ordinal));
        var save = Assert.Single(catalog.Http, f => f.Name == "SaveThing");
        Assert.Equal("things", save.Route);
        Assert.Equal(["post", "put"], save.Methods.Order(StringComparer.Ordinal));
        Assert.Equal("0 0 * * * *", Assert.Single(catalog.Timers).Schedule);
    }

    [Fact]
    public async Task An_unnamed_endpoint_is_refused_naming_its_route()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CatalogAsync(app => app.MapGet("/anonymous-route", () => "x"), Timers()));

        Assert.Contains("'/anonymous-route' has no name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_endpoint_without_methods_is_refused()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            CatalogAsync(app => app.Map("/any", () => "x").WithName("AnyMethod"), Timers()));

        Assert.Contains("Function AnyMethod ('/any') accepts every method", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Twice", "Twice")]
    [InlineData("Twice", "twice")]
    public async Task A_name_used_by_two_http_functions_is_refused(string first, string second)
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => CatalogAsync(app =>
        {
            app.MapGet("/one", () => "1").WithName(first);
            app.MapGet("/two", () => "2").WithName(second);
        }, Timers()));

        Assert.Contains("is used 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_timer_may_not_share_a_name_with_an_http_function()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            CatalogAsync(app => app.MapGet("/cleanup", () => "x").WithName("Cleanup"), Timers("Cleanup")));

        Assert.Contains("Function name 'Cleanup' is used 2 times", error.Message, StringComparison.Ordinal);
    }
}
