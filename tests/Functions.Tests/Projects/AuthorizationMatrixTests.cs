using System.Net.Http.Headers;
using System.Text;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Projects;

/// <summary>Every role (and an outsider, an anonymous caller, a platform admin) against every project endpoint.</summary>
public sealed class AuthorizationMatrixTests(ProjectsApi api) : IClassFixture<ProjectsApi>
{
    private static readonly string[] Callers = ["owner", "maintainer", "developer", "viewer", "outsider", "anonymous", "admin"];

    // Expected status per caller, in the order of Callers.
    private static readonly (string Endpoint, int[] Expected)[] Matrix =
    [
        ("GetProject", [200, 200, 200, 200, 404, 401, 200]),
        ("UpdateProject", [200, 200, 403, 403, 404, 401, 200]),
        ("UpdateProjectRest", [200, 200, 403, 403, 404, 401, 200]),
        ("ArchiveProject", [204, 403, 403, 403, 404, 401, 204]),
        ("ListCollaborators", [200, 200, 200, 200, 404, 401, 200]),
        ("PutCollaborator", [201, 403, 403, 403, 404, 401, 201]),
        ("RemoveCollaborator", [204, 403, 403, 403, 404, 401, 204]),
        // Developers start builds; viewers do not.
        ("BuildProject", [202, 202, 202, 403, 404, 401, 202]),
        // Maintainers deploy: they get past the role check to "no succeeded build yet" (409); developers do not.
        ("DeployProject", [409, 409, 403, 403, 404, 401, 409]),
        ("ListProjects", [200, 200, 200, 200, 200, 401, 200]),
        ("ListProjectsRest", [200, 200, 200, 200, 200, 401, 200]),
        ("CreateProject", [201, 201, 201, 201, 201, 401, 201]),
        ("CreateProjectRest", [201, 201, 201, 201, 201, 401, 201]),
        ("ListApiKeys", [403, 403, 403, 403, 403, 401, 200]),
        ("CreateApiKey", [403, 403, 403, 403, 403, 401, 201]),
        ("RevokeApiKey", [403, 403, 403, 403, 403, 401, 204]),
        ("Metrics", [200, 200, 200, 200, 200, 401, 200]),
        // An internal project: everyone signed in reads it; writing still takes a role.
        ("GetInternalProject", [200, 200, 200, 200, 200, 401, 200]),
        ("UpdateInternalProject", [200, 200, 403, 403, 403, 401, 200]),
        ("BuildInternalProject", [202, 202, 202, 403, 403, 401, 202]),
        ("ArchiveInternalProject", [204, 403, 403, 403, 403, 401, 204]),
    ];

    public static TheoryData<string, string, int> Cases()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var (endpoint, expected) in Matrix)
        {
            for (var i = 0; i < Callers.Length; i++)
            {
                data.Add(endpoint, Callers[i], expected[i]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Caller_gets_the_expected_status(string endpoint, string caller, int expected)
    {
        var visibility = endpoint.Contains("Internal", StringComparison.Ordinal) ? "internal" : "private";
        var project = await api.CreateAsync("owner", $"Matrix {endpoint} {caller}", $"\"visibility\": \"{visibility}\"");
        var id = project.GetProperty("id").GetString()!;
        await api.AddCollaboratorAsync(id, "owner", "maintainer", "maintainer");
        await api.AddCollaboratorAsync(id, "owner", "developer", "developer");
        await api.AddCollaboratorAsync(id, "owner", "viewer", "viewer");

        var (method, url, body) = endpoint switch
        {
            "GetProject" or "GetInternalProject" => (HttpMethod.Get, $"/projects/{id}", null),
            "UpdateProject" => (HttpMethod.Post, $"/projects/{id}/update", """{"description": "changed"}"""),
            "UpdateProjectRest" or "UpdateInternalProject" => (HttpMethod.Patch, $"/projects/{id}", """{"description": "changed"}"""),
            "ArchiveProject" or "ArchiveInternalProject" => (HttpMethod.Delete, $"/projects/{id}", null),
            "ListCollaborators" => (HttpMethod.Get, $"/projects/{id}/collaborators", null),
            "PutCollaborator" => (HttpMethod.Put, $"/projects/{id}/collaborators/newcomer", """{"role": "viewer"}"""),
            "RemoveCollaborator" => (HttpMethod.Delete, $"/projects/{id}/collaborators/viewer", null),
            "BuildProject" or "BuildInternalProject" => (HttpMethod.Post, $"/projects/{id}/build", """{"branch": "main"}"""),
            "DeployProject" => (HttpMethod.Post, $"/projects/{id}/deploy", """{"environment": "production"}"""),
            "ListProjects" => (HttpMethod.Get, "/projects/list", null),
            "ListProjectsRest" => (HttpMethod.Get, "/projects", null),
            "CreateProject" => (HttpMethod.Post, "/projects/create", """{"name": "made by matrix"}"""),
            "CreateProjectRest" => (HttpMethod.Post, "/projects", """{"name": "made by matrix"}"""),
            "ListApiKeys" => (HttpMethod.Get, "/apikeys", null),
            "CreateApiKey" => (HttpMethod.Post, "/apikeys", """{"name": "matrix", "userId": "matrix-bot"}"""),
            "RevokeApiKey" => (HttpMethod.Delete, $"/apikeys/{await CreateApiKeyAsync()}", null),
            "Metrics" => (HttpMethod.Get, "/metrics", null),
            _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
        };

        using var request = new HttpRequestMessage(method, url);
        if (caller != "anonymous")
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(caller == "admin" ? "root" : caller, admin: caller == "admin"));
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await api.App.Client.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        if (expected >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        // A refused write changes nothing; an allowed one does what it says.
        if (endpoint.StartsWith("Update", StringComparison.Ordinal) || endpoint.StartsWith("Archive", StringComparison.Ordinal))
        {
            using var check = await api.SendAsync(HttpMethod.Get, $"/projects/{id}", "root", admin: true);
            var stored = await ProjectsApi.JsonAsync(check);
            Assert.Equal(expected == 200, stored.GetProperty("description").GetString() == "changed");
            Assert.Equal(expected == 204, stored.GetProperty("archivedAt").ValueKind != System.Text.Json.JsonValueKind.Null);
        }
    }

    /// <summary>A key for the revoke case, made by an admin (so every caller has one to try on).</summary>
    private async Task<string> CreateApiKeyAsync()
    {
        using var response = await api.SendAsync(HttpMethod.Post, "/apikeys", "root", """{"name": "to revoke"}""", admin: true);
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await ProjectsApi.JsonAsync(response)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Lists_show_only_what_the_caller_may_see()
    {
        var secret = (await api.CreateAsync("owner", "Listing Secret", "\"slug\": \"listing-secret\"")).GetProperty("id").GetString();
        var open = (await api.CreateAsync("owner", "Listing Open", "\"slug\": \"listing-open\", \"visibility\": \"public\"")).GetProperty("id").GetString();

        async Task<List<string?>> IdsAsync(string user, bool admin = false)
        {
            using var response = await api.SendAsync(HttpMethod.Get, "/projects?q=listing&limit=100", user, admin: admin);
            return (await ProjectsApi.JsonAsync(response)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
        }

        var outsider = await IdsAsync("outsider");
        var owner = await IdsAsync("owner");
        var admin = await IdsAsync("root", admin: true);

        Assert.Equal([open], outsider);
        Assert.Equal(new[] { open, secret }.Order(), owner.Order());
        Assert.Equal(new[] { open, secret }.Order(), admin.Order());
    }
}
