using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Code;

/// <summary>A GitHub project's file writes go through GitHub's contents API (Octokit), checked on the fake GitHub: method, path, sha, message, branch, base64 content.</summary>
public sealed class GitHubFileWriteTests : IAsyncLifetime
{
    private FakeRepositoryHost _host = null!;
    private CodeSyncTestKit _kit = null!;

    public async Task InitializeAsync()
    {
        _host = await FakeRepositoryHost.StartAsync();
        _kit = await CodeSyncTestKit.StartAsync("ghwrite",
            ("GitHub:ApiBaseUrl", _host.BaseAddress.ToString()),
            ("GitHub:Token", "gh-write-token"));
    }

    public async Task DisposeAsync()
    {
        await _kit.DisposeAsync();
        await _host.DisposeAsync();
    }

    private List<FakeRepositoryHost.Call> ContentsCalls() => _host.Calls.Where(c => c.PathAndQuery.Contains("/contents/", StringComparison.Ordinal)).ToList();

    private async Task<(HttpStatusCode Status, string? ETag, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await _kit.App.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.Headers.ETag?.Tag, JsonDocument.Parse(text).RootElement.Clone());
        }
    }

    [Fact]
    public async Task Writes_and_deletes_call_the_contents_api_with_the_sha_message_branch_and_base64_content_and_a_stale_sha_is_a_412()
    {
        var project = await _kit.CreateProjectAsync(provider: "github", fullName: "octo/edited", defaultBranch: "main");
        var first = FileWriteTests.BlobSha("first\n");
        var content = "héllo\nworld\n";

        var written = await SendAsync(FileWriteTests.Write(HttpMethod.Put, $"/projects/{project}/files/docs/readme.md?message=Docs%20from%20the%20editor",
            CodeSyncTestKit.Developer, FileWriteTests.Raw(content), $"\"{first}\""));
        Assert.True(written.Status == HttpStatusCode.OK, written.Body.ToString());
        var call = Assert.Single(ContentsCalls());
        Assert.Equal(("PUT", "/api/v3/repos/octo/edited/contents/docs/readme.md"), (call.Method, call.PathAndQuery));
        Assert.Equal("Bearer gh-write-token", call.Headers["Authorization"]);
        var sent = JsonDocument.Parse(call.Body).RootElement;
        Assert.Equal((first, "Docs from the editor", "main"), (sent.GetProperty("sha").GetString(), sent.GetProperty("message").GetString(), sent.GetProperty("branch").GetString()));
        Assert.Equal(content, Encoding.UTF8.GetString(Convert.FromBase64String(sent.GetProperty("content").GetString()!)));
        Assert.Equal($"\"{FileWriteTests.BlobSha(content)}\"", written.ETag); // GitHub's answer: the new blob's sha
        Assert.Equal(40, written.Body.GetProperty("commit").GetString()!.Length);

        // Created with If-None-Match: *: no sha sent.
        var created = await SendAsync(FileWriteTests.Write(HttpMethod.Put, $"/projects/{project}/files/new.txt?ref=feature", CodeSyncTestKit.Developer, FileWriteTests.Raw("n\n"), ifNoneMatch: "*"));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var createCall = JsonDocument.Parse(ContentsCalls()[^1].Body).RootElement;
        Assert.Equal(("Create new.txt", "feature", false), (createCall.GetProperty("message").GetString(), createCall.GetProperty("branch").GetString(), createCall.TryGetProperty("sha", out var s) && s.ValueKind == JsonValueKind.String));

        // Deleted: DELETE with the sha, message and branch.
        var deleted = await SendAsync(FileWriteTests.Write(HttpMethod.Delete, $"/projects/{project}/files/docs/readme.md", CodeSyncTestKit.Developer, ifMatch: $"\"{FileWriteTests.BlobSha(content)}\""));
        Assert.True(deleted.Status == HttpStatusCode.OK, deleted.Body.ToString());
        var deleteCall = ContentsCalls()[^1];
        Assert.Equal(("DELETE", "/api/v3/repos/octo/edited/contents/docs/readme.md"), (deleteCall.Method, deleteCall.PathAndQuery));
        var deleteBody = JsonDocument.Parse(deleteCall.Body).RootElement;
        Assert.Equal((FileWriteTests.BlobSha(content), "Delete docs/readme.md", "main"),
            (deleteBody.GetProperty("sha").GetString(), deleteBody.GetProperty("message").GetString(), deleteBody.GetProperty("branch").GetString()));

        // GitHub refuses a stale sha (409): the service reads the current one back and answers 412 with it as the ETag.
        var current = FileWriteTests.BlobSha("changed on github\n");
        _host.Responses["PUT /api/v3/repos/octo/edited/contents/"] = (409, """{"message":"a.txt does not match 0000"}""");
        _host.Responses["GET /api/v3/repos/octo/edited/contents/"] = (200, $$"""[{"type":"file","name":"a.txt","path":"a.txt","sha":"{{current}}","size":18}]""");
        var stale = await SendAsync(FileWriteTests.Write(HttpMethod.Put, $"/projects/{project}/files/a.txt", CodeSyncTestKit.Developer, FileWriteTests.Raw("x\n"), $"\"{first}\""));
        Assert.Equal((HttpStatusCode.PreconditionFailed, $"\"{current}\""), (stale.Status, stale.ETag));
        Assert.Contains(ContentsCalls(), c => c.Method == "GET" && c.PathAndQuery.StartsWith("/api/v3/repos/octo/edited/contents/a.txt", StringComparison.Ordinal));

        // Viewers never reach GitHub.
        var before = ContentsCalls().Count;
        var viewer = await SendAsync(FileWriteTests.Write(HttpMethod.Put, $"/projects/{project}/files/a.txt", CodeSyncTestKit.Viewer, FileWriteTests.Raw("x\n"), $"\"{first}\""));
        Assert.Equal(HttpStatusCode.Forbidden, viewer.Status);
        Assert.Equal(before, ContentsCalls().Count);
    }
}
