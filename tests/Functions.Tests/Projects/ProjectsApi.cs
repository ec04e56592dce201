using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Projects;

/// <summary>A test app with JWT auth on its own database, and small helpers to call the project API as a user.</summary>
public sealed class ProjectsApi : IAsyncLifetime
{
    public TestApp App { get; private set; } = null!;
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync("projects" + Guid.NewGuid().ToString("N")[..6]);
        // Builds and deployments are only accepted here (the authorization matrix), never worked.
        App = await TestApp.StartAsync(ConnectionString, TestAuth.Settings(
            ("Pipelines:Runner:Enabled", "false"), ("Deployments:Worker:Enabled", "false")));
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? user, string? json = null, bool admin = false) =>
        App.Client.SendAsync(TestAuth.Request(method, url, user, json, admin));

    /// <summary>Creates a project as <paramref name="owner"/> and returns its JSON.</summary>
    public async Task<JsonElement> CreateAsync(string owner, string name, string? extraJson = null)
    {
        var body = extraJson is null
            ? JsonSerializer.Serialize(new { name })
            : $$"""{"name": {{JsonSerializer.Serialize(name)}}, {{extraJson}}}""";
        using var response = await SendAsync(HttpMethod.Post, "/projects", owner, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"create failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task AddCollaboratorAsync(string projectId, string owner, string userId, string role)
    {
        using var response = await SendAsync(HttpMethod.Put, $"/projects/{projectId}/collaborators/{userId}", owner, JsonSerializer.Serialize(new { role }));
        Assert.True(response.IsSuccessStatusCode, $"adding {userId} failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
