using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Projects;

/// <summary>
/// A file:// or local-path clone URL makes the service's clone step read its own machine: only
/// platform admins may set one, unless it lies inside a folder of Repositories:AllowedLocalPaths.
/// </summary>
public sealed class LocalRepositoryPolicyTests
{
    private static async Task<TestApp> StartAsync(string? allowed = null) =>
        await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("localrepos"), TestAuth.Settings(
            ("Pipelines:Runner:Enabled", "false"), ("Deployments:Worker:Enabled", "false"), ("Repositories:AllowedLocalPaths", allowed)));

    private static string Body(string cloneUrl) =>
        JsonSerializer.Serialize(new { name = "local " + Guid.NewGuid().ToString("N")[..6], repository = new { provider = "git", cloneUrl, defaultBranch = "main" } });

    [Theory]
    [InlineData("file:///var/lib/devmentor/.devmentor")]
    [InlineData("file://localhost/srv/git/other-project.git")]
    [InlineData("/srv/git/other-project.git")]
    public async Task A_signed_in_user_cannot_create_a_project_cloning_from_the_services_disk(string cloneUrl)
    {
        await using var app = await StartAsync();

        using var refused = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "mallory", Body(cloneUrl)));
        var text = await refused.Content.ReadAsStringAsync();
        Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains("Repositories:AllowedLocalPaths", JsonDocument.Parse(text).RootElement.GetProperty("errors").GetProperty("repository.cloneUrl")[0].GetString(), StringComparison.Ordinal);

        // A platform admin may.
        using var admin = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "root-admin", Body(cloneUrl), admin: true));
        Assert.Equal(HttpStatusCode.Created, admin.StatusCode);
    }

    [Fact]
    public async Task An_operator_allow_list_admits_its_folders_only_and_updates_are_checked_too()
    {
        var allowed = Path.Combine(TestPostgres.ScratchRoot, "allowed-repos");
        await using var app = await StartAsync(allowed);

        using var inside = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "dev", Body(new Uri(Path.Combine(allowed, "team", "repo.git")).AbsoluteUri)));
        Assert.Equal(HttpStatusCode.Created, inside.StatusCode);
        using var escaping = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "dev", Body(allowed + "/../data/admin")));
        Assert.Equal(HttpStatusCode.BadRequest, escaping.StatusCode);
        using var sibling = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "dev", Body(allowed + "-not/repo.git")));
        Assert.Equal(HttpStatusCode.BadRequest, sibling.StatusCode);

        // A remote project changed to a local URL by its owner: refused; its other fields stay editable.
        using var remote = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "dev", Body("https://git.example.com/team/repo.git")));
        var id = JsonDocument.Parse(await remote.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var patch = TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", "dev");
        patch.Content = new StringContent("""{"repository": {"cloneUrl": "file:///root/secrets.git"}}""", System.Text.Encoding.UTF8, "application/merge-patch+json");
        using var patched = await app.Client.SendAsync(patch);
        Assert.Equal(HttpStatusCode.BadRequest, patched.StatusCode);
        Assert.Contains("repository.cloneUrl", await patched.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // An admin's local project: a maintainer who is no admin edits the description without touching the URL.
        using var adminMade = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "root-admin", Body("file:///srv/git/mirror.git"), admin: true));
        var adminProject = JsonDocument.Parse(await adminMade.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var added = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{adminProject}/collaborators/dev", "root-admin", """{"role": "maintainer"}""", admin: true));
        Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        using var described = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{adminProject}/update", "dev", """{"description": "mirror"}"""));
        Assert.True(described.StatusCode == HttpStatusCode.OK, await described.Content.ReadAsStringAsync());
    }
}
