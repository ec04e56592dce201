using System.Net;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>The dashboard page and its bundled assets (served by the service, nothing from another origin).</summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() =>
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("dashboard"), TestAuth.Settings());

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("/dashboard")]
    [InlineData("/projects/some-project/dashboard")]
    public async Task The_page_is_served_with_its_sign_in_explained_and_a_strict_policy(string path)
    {
        using var response = await _app.Client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("<label for=\"credential\">", html, StringComparison.Ordinal);
        Assert.Contains("X-Api-Key", html, StringComparison.Ordinal);
        Assert.Contains("src=\"/dashboard/assets/dashboard.js\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dashboard.js", "text/javascript")]
    [InlineData("dashboard.css", "text/css")]
    public async Task Assets_are_bundled_and_load_nothing_from_elsewhere(string name, string type)
    {
        using var response = await _app.Client.GetAsync("/dashboard/assets/" + name);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotMatch(@"https?://(?!www\.w3\.org/2000/svg)", text);
    }

    [Theory]
    [InlineData("dashboard.html")]
    [InlineData("..%2Fappsettings.json")]
    [InlineData("nope.js")]
    public async Task Other_asset_names_are_a_404(string name)
    {
        using var response = await _app.Client.GetAsync("/dashboard/assets/" + name);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
