using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.HostedGit;

/// <summary>Hosted repositories over smart HTTP with the real git command line and git http-backend: who may clone and push, and what a push starts.</summary>
public sealed class HostedGitTests : IAsyncLifetime
{
    private HostedGitKit _kit = null!;

    public async Task InitializeAsync() => _kit = await HostedGitKit.StartAsync("hostedgit");

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    [Fact]
    public async Task A_hosted_project_gets_its_own_repository_record()
    {
        var project = await _kit.CreateHostedProjectAsync();
        var id = project.GetProperty("id").GetGuid();
        var repository = project.GetProperty("repository");
        Assert.Equal("hosted", repository.GetProperty("provider").GetString());
        Assert.Equal(id.ToString("D"), repository.GetProperty("fullName").GetString());
        Assert.StartsWith("file://", repository.GetProperty("cloneUrl").GetString(), StringComparison.Ordinal);

        // A patch cannot point the project at another project's repository: the record stays derived from its id.
        var other = await _kit.CreateHostedProjectAsync();
        var patch = JsonSerializer.Serialize(new { repository = new { provider = "hosted", fullName = other.GetProperty("id").GetString(), cloneUrl = other.GetProperty("repository").GetProperty("cloneUrl").GetString() } });
        using var patched = await _kit.App.Client.SendAsync(TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", HostedGitKit.Owner, patch));
        var text = await patched.Content.ReadAsStringAsync();
        Assert.True(patched.IsSuccessStatusCode, text);
        var after = JsonDocument.Parse(text).RootElement.GetProperty("repository");
        Assert.Equal(id.ToString("D"), after.GetProperty("fullName").GetString());
        Assert.Equal(repository.GetProperty("cloneUrl").GetString(), after.GetProperty("cloneUrl").GetString());
    }

    [Fact]
    public async Task Developers_push_viewers_clone_and_everyone_else_is_refused()
    {
        var id = (await _kit.CreateHostedProjectAsync()).GetProperty("id").GetGuid();
        var work = _kit.NewWorkTree(new Dictionary<string, string> { ["README.md"] = "# hosted\n" });
        var pushed = GitCommand.Ok(work, "rev-parse", "HEAD");

        // Anonymous: a Basic challenge (git gives up: it may not prompt here).
        var anonymous = GitCommand.Run(work, "push", _kit.UrlOf(id, null), "HEAD:refs/heads/main");
        Assert.NotEqual(0, anonymous.ExitCode);
        using (var challenge = await _kit.App.Client.GetAsync($"/git/{id}.git/info/refs?service=git-upload-pack"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
            Assert.StartsWith("Basic", challenge.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }

        // A viewer may not push; a wrong key is no key; an outsider does not even see the repository.
        var viewerPush = GitCommand.Run(work, "push", _kit.UrlOf(id, HostedGitKit.Viewer), "HEAD:refs/heads/main");
        Assert.NotEqual(0, viewerPush.ExitCode);
        Assert.Contains("403", viewerPush.Errors, StringComparison.Ordinal);
        var wrongKey = GitCommand.Run(work, "push", _kit.UrlOf(id, HostedGitKit.Developer, password: "dm_not-a-key"), "HEAD:refs/heads/main");
        Assert.NotEqual(0, wrongKey.ExitCode);
        Assert.Contains("Authentication failed", wrongKey.Errors, StringComparison.Ordinal);
        var outsider = GitCommand.Run(_kit.Root, "clone", "--quiet", _kit.UrlOf(id, HostedGitKit.Outsider), "outsider-" + Guid.NewGuid().ToString("N")[..6]);
        Assert.NotEqual(0, outsider.ExitCode);
        Assert.Contains("not found", outsider.Errors, StringComparison.OrdinalIgnoreCase);

        // The developer pushes; the viewer clones exactly that commit.
        GitCommand.Ok(work, "push", "--quiet", _kit.UrlOf(id, HostedGitKit.Developer), "HEAD:refs/heads/main");
        var clone = Path.Combine(_kit.Root, "viewer-" + Guid.NewGuid().ToString("N")[..6]);
        GitCommand.Ok(_kit.Root, "clone", "--quiet", _kit.UrlOf(id, HostedGitKit.Viewer), clone);
        Assert.Equal(pushed, GitCommand.Ok(clone, "rev-parse", "HEAD"));
        Assert.Equal("# hosted\n", File.ReadAllText(Path.Combine(clone, "README.md")));

        // The viewer's clone still cannot push back, even with a new commit.
        HostedGitKit.Write(clone, new Dictionary<string, string> { ["x.txt"] = "x" });
        GitCommand.Ok(clone, "add", "-A");
        GitCommand.Ok(clone, "commit", "--quiet", "-m", "viewer change");
        Assert.NotEqual(0, GitCommand.Run(clone, "push", "origin", "HEAD:refs/heads/main").ExitCode);
        Assert.Equal(pushed, GitCommand.Ok(_kit.Root, "ls-remote", _kit.UrlOf(id, HostedGitKit.Owner), "refs/heads/main").Split('\t')[0]);

        // A bearer JWT serves as well as a key.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/git/{id}.git/info/refs?service=git-upload-pack");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestAuth.Token(HostedGitKit.Viewer));
        using var advertised = await _kit.App.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, advertised.StatusCode);
        Assert.Equal("application/x-git-upload-pack-advertisement", advertised.Content.Headers.ContentType?.MediaType);
        Assert.Contains(pushed, await advertised.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_push_is_recorded_and_starts_a_sync_and_a_build_like_a_webhook_push()
    {
        var id = (await _kit.CreateHostedProjectAsync()).GetProperty("id").GetGuid();
        var work = _kit.NewWorkTree(new Dictionary<string, string> { ["app.py"] = "print('hi')\n" }, "first commit");
        HostedGitKit.Write(work, new Dictionary<string, string> { ["app.py"] = "print('hello')\n" });
        GitCommand.Ok(work, "commit", "--quiet", "-am", "second commit");
        var head = GitCommand.Ok(work, "rev-parse", "HEAD");
        GitCommand.Ok(work, "push", "--quiet", _kit.UrlOf(id, HostedGitKit.Developer), "HEAD:refs/heads/main");

        var push = await WaitForAsync(async () =>
        {
            await using var command = _kit.App.Services.GetRequiredService<Database>().DataSource.CreateCommand("""
                SELECT w.status, p.ref, p.after_sha, p.commits::text
                FROM repository_pushes p JOIN webhook_deliveries w ON w.id = p.delivery_id
                WHERE p.project_id = $1 AND w.provider = 'hosted'
                """);
            command.Parameters.AddWithValue(id);
            await using var reader = await command.ExecuteReaderAsync();
            return await reader.ReadAsync() ? (Status: reader.GetString(0), Ref: reader.GetString(1), After: reader.GetString(2), Commits: reader.GetString(3)) : default;
        }, found => found.Status == "processed");
        Assert.Equal(("refs/heads/main", head), (push.Ref, push.After));
        var commits = JsonDocument.Parse(push.Commits).RootElement.EnumerateArray().Select(c => c.GetProperty("message").GetString()).ToList();
        Assert.Equal(["first commit", "second commit"], commits);

        // The sync of that commit is queued, and the default branch's build started for it.
        var syncs = await GetJsonAsync($"/projects/{id}/syncs");
        var sync = Assert.Single(syncs.GetProperty("items").EnumerateArray());
        Assert.Equal(("push", head), (sync.GetProperty("trigger").GetString(), sync.GetProperty("commitSha").GetString()));
        var builds = await GetJsonAsync($"/projects/{id}/builds");
        var run = Assert.Single(builds.EnumerateObject().Single(p => p.Value.ValueKind == JsonValueKind.Array).Value.EnumerateArray());
        Assert.Contains(head, run.GetRawText(), StringComparison.Ordinal);

        // A push that changes nothing records nothing more.
        GitCommand.Ok(work, "push", "--quiet", _kit.UrlOf(id, HostedGitKit.Developer), "HEAD:refs/heads/main");
        Assert.Single((await GetJsonAsync($"/projects/{id}/syncs")).GetProperty("items").EnumerateArray());
    }

    [Theory]
    [InlineData("/git/{id}.git/info/refs")] // the dumb protocol
    [InlineData("/git/{id}.git/HEAD")]
    [InlineData("/git/{id}.git/config")]
    [InlineData("/git/{id}.git/objects/info/packs")]
    [InlineData("/git/{id}.git/info/refs/../../config?service=git-upload-pack")]
    [InlineData("/git/{id}.git/info%2frefs%2f..%2f..%2fconfig?service=git-upload-pack")]
    [InlineData("/git/..%2f..%2f{id}.git/info/refs?service=git-upload-pack")]
    [InlineData("/git/{id}/info/refs?service=git-upload-pack")]
    [InlineData("/git/{N}.git/info/refs?service=git-upload-pack")]
    [InlineData("/git/{id}.git/info/refs?service=git-daemon")]
    public async Task Anything_but_the_smart_protocol_of_a_hosted_repository_is_not_found(string template)
    {
        var id = (await _kit.CreateHostedProjectAsync()).GetProperty("id").GetGuid();
        var url = template.Replace("{id}", id.ToString("D"), StringComparison.Ordinal).Replace("{N}", id.ToString("N"), StringComparison.Ordinal);
        using var response = await _kit.App.Client.SendAsync(TestAuth.Request(HttpMethod.Get, url, HostedGitKit.Owner));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task A_project_whose_repository_is_elsewhere_has_no_hosted_repository()
    {
        var body = JsonSerializer.Serialize(new { name = "ext-" + Guid.NewGuid().ToString("N")[..6], repository = new { provider = "github", fullName = "octo/elsewhere" } });
        using var created = await _kit.App.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", HostedGitKit.Owner, body));
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        using var response = await _kit.App.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/git/{id}.git/info/refs?service=git-upload-pack", HostedGitKit.Owner));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _kit.App.Client.SendAsync(Basic(HttpMethod.Get, $"/git/{Guid.NewGuid()}.git/info/refs?service=git-upload-pack", HostedGitKit.Owner))).StatusCode);
    }

    [Fact]
    public async Task A_file_write_with_if_match_commits_to_the_hosted_repository_and_queues_its_sync()
    {
        var id = (await _kit.CreateHostedProjectAsync()).GetProperty("id").GetGuid();
        var work = _kit.NewWorkTree(new Dictionary<string, string> { ["a.txt"] = "first\n" });
        GitCommand.Ok(work, "push", "--quiet", _kit.UrlOf(id, HostedGitKit.Developer), "HEAD:refs/heads/main");
        var head = GitCommand.Ok(work, "rev-parse", "HEAD");
        var url = $"/projects/{id}/files/a.txt";

        // A viewer may not write; a developer's write with the current blob sha commits on top of the pushed head.
        using (var viewer = await _kit.App.Client.SendAsync(Code.FileWriteTests.Write(HttpMethod.Put, url, HostedGitKit.Viewer, new StringContent("x\n"), $"\"{Code.FileWriteTests.BlobSha("first\n")}\"")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, viewer.StatusCode);
        }

        using var written = await _kit.App.Client.SendAsync(Code.FileWriteTests.Write(HttpMethod.Put, url + "?message=Edit%20hosted", HostedGitKit.Developer,
            new StringContent("second\n"), $"\"{Code.FileWriteTests.BlobSha("first\n")}\""));
        var text = await written.Content.ReadAsStringAsync();
        Assert.True(written.StatusCode == HttpStatusCode.OK, text);
        Assert.Equal($"\"{Code.FileWriteTests.BlobSha("second\n")}\"", written.Headers.ETag?.Tag);
        var commit = JsonDocument.Parse(text).RootElement.GetProperty("commit").GetString()!;

        // The hosted repository has the commit (fetched back over smart HTTP), with the caller as author and the pushed head as parent.
        GitCommand.Ok(work, "fetch", "--quiet", _kit.UrlOf(id, HostedGitKit.Viewer), "refs/heads/main");
        Assert.Equal(commit, GitCommand.Ok(work, "rev-parse", "FETCH_HEAD"));
        Assert.Equal($"Edit hosted|{HostedGitKit.Developer}|{head}", GitCommand.Ok(work, "log", "-1", "--format=%s|%an|%P", "FETCH_HEAD"));
        Assert.Equal("second", GitCommand.Ok(work, "show", "FETCH_HEAD:a.txt"));

        // The old sha is stale now: 412 with the current ETag, and nothing more is committed.
        using (var stale = await _kit.App.Client.SendAsync(Code.FileWriteTests.Write(HttpMethod.Put, url, HostedGitKit.Developer, new StringContent("third\n"), $"\"{Code.FileWriteTests.BlobSha("first\n")}\"")))
        {
            Assert.Equal((HttpStatusCode.PreconditionFailed, $"\"{Code.FileWriteTests.BlobSha("second\n")}\""), (stale.StatusCode, stale.Headers.ETag?.Tag));
        }

        GitCommand.Ok(work, "fetch", "--quiet", _kit.UrlOf(id, HostedGitKit.Viewer), "refs/heads/main");
        Assert.Equal(commit, GitCommand.Ok(work, "rev-parse", "FETCH_HEAD"));

        // The new commit is queued for sync like any push (this app starts no syncs: Sync:Enabled = false).
        var syncs = await GetJsonAsync($"/projects/{id}/syncs");
        Assert.Contains(syncs.GetProperty("items").EnumerateArray(), s => s.GetProperty("commitSha").GetString() == commit && s.GetProperty("trigger").GetString() == "edit");
    }

    private HttpRequestMessage Basic(HttpMethod method, string url, string user)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{_kit.Keys[user]}")));
        return request;
    }

    private async Task<JsonElement> GetJsonAsync(string url)
    {
        using var response = await _kit.App.Client.SendAsync(TestAuth.Request(HttpMethod.Get, url, HostedGitKit.Viewer));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> probe, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"still {value} after 30 s");
            await Task.Delay(50);
        }
    }
}
