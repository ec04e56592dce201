using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Builds;
using DevMentor.Functions.Tests.Infrastructure;

#pragma warning disable CA5350 // git names objects by SHA-1: the tests compute the ids git does

namespace DevMentor.Functions.Tests.Code;

/// <summary>
/// PUT and DELETE /projects/{id}/files/{*path} on a plain git remote (a local bare repository the
/// service pushes to): If-Match on the blob sha, the commit on the remote, the sync of the new
/// commit, roles, bad input, and a change pushed by someone else while the service was pushing.
/// </summary>
public sealed class FileWriteTests(CodeSyncTestKit.SharedApp shared) : IClassFixture<CodeSyncTestKit.SharedApp>
{
    // One app for the class; each test's project is on a remote of its own (every operation here names its project).
    private readonly CodeSyncTestKit _kit = shared.Kit.WithNewRepositories("filewrite");

    internal static string BlobSha(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));

    internal static string BlobSha(string text) => BlobSha(Encoding.UTF8.GetBytes(text));

    internal static HttpRequestMessage Write(HttpMethod method, string url, string user, HttpContent? content = null, string? ifMatch = null, string? ifNoneMatch = null)
    {
        var request = TestAuth.Request(method, url, user);
        request.Content = content;
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        if (ifNoneMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        }

        return request;
    }

    internal static ByteArrayContent Raw(string text)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        return content;
    }

    private async Task<(HttpStatusCode Status, string? ETag, JsonElement Body, string MediaType)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            using var response = await _kit.App.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.Headers.ETag?.Tag, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(),
                response.Content.Headers.ContentType?.MediaType ?? "");
        }
    }

    private async Task<(Guid Project, string Head)> SyncedProjectAsync()
    {
        var project = await _kit.CreateProjectAsync();
        var head = _kit.Commit(new Dictionary<string, string?> { ["a.txt"] = "first\n", ["src/only.cs"] = "class Only {}\n", ["src/keep.cs"] = "class Keep {}\n", ["lone/one.txt"] = "1\n" });
        Assert.Equal("succeeded", (await _kit.SyncAsync(project)).GetProperty("status").GetString());
        return (project, head);
    }

    [Fact]
    public async Task A_developer_updates_creates_and_deletes_files_with_if_match_and_each_commit_reaches_the_remote_and_syncs()
    {
        var (project, head) = await SyncedProjectAsync();
        var url = $"/projects/{project}/files/a.txt";
        var first = BlobSha("first\n");

        // No precondition: 428, nothing committed.
        var missing = await SendAsync(Write(HttpMethod.Put, url, CodeSyncTestKit.Developer, Raw("lost\n")));
        Assert.Equal((HttpStatusCode.PreconditionRequired, "application/problem+json"), (missing.Status, missing.MediaType));
        Assert.Equal(head, GitCli.Run(_kit.Remote, "rev-parse", "refs/heads/main"));

        // Raw body, message in the query: a commit on the remote by the caller, on top of the old tip.
        var updated = await SendAsync(Write(HttpMethod.Put, url + "?message=" + Uri.EscapeDataString("Edit a from the editor"), CodeSyncTestKit.Developer, Raw("second\n"), $"\"{first}\""));
        Assert.True(updated.Status == HttpStatusCode.OK, updated.Body.ToString());
        Assert.Equal($"\"{BlobSha("second\n")}\"", updated.ETag);
        var commit = updated.Body.GetProperty("commit").GetString()!;
        Assert.Equal(commit, GitCli.Run(_kit.Remote, "rev-parse", "refs/heads/main"));
        Assert.Equal($"Edit a from the editor|{CodeSyncTestKit.Developer}|{head}", GitCli.Run(_kit.Remote, "log", "-1", "--format=%s|%an|%P", "main"));
        Assert.Equal("second", GitCli.Run(_kit.Remote, "show", "main:a.txt"));
        Assert.Equal((first, "refs/heads/main"), (updated.Body.GetProperty("previousBlobSha").GetString(), updated.Body.GetProperty("ref").GetString()));

        // The old sha is stale now: 412 with the current ETag, and the remote is unchanged.
        var stale = await SendAsync(Write(HttpMethod.Put, url, CodeSyncTestKit.Developer, Raw("third\n"), $"\"{first}\""));
        Assert.Equal((HttpStatusCode.PreconditionFailed, $"\"{BlobSha("second\n")}\"", "application/problem+json"), (stale.Status, stale.ETag, stale.MediaType));
        Assert.Equal(commit, GitCli.Run(_kit.Remote, "rev-parse", "refs/heads/main"));

        // The commit syncs like a push: the files API serves the new content and sha.
        var sync = await _kit.GetJsonAsync($"/projects/{project}/syncs");
        Assert.Contains(sync.GetProperty("items").EnumerateArray(), s => s.GetProperty("commitSha").GetString() == commit && s.GetProperty("trigger").GetString() == "edit");
        await _kit.DrainAsync();
        using (var read = await _kit.SendAsync(HttpMethod.Get, url, CodeSyncTestKit.Viewer))
        {
            Assert.Equal(($"\"{BlobSha("second\n")}\"", "second\n"), (read.Headers.ETag!.Tag, await read.Content.ReadAsStringAsync()));
        }

        // JSON body with base64 bytes, creating a file in a new folder: If-None-Match: * (201), then again (412).
        var bytes = new byte[] { 0, 1, 2, 255 };
        var json = JsonSerializer.Serialize(new { content = Convert.ToBase64String(bytes), encoding = "base64" });
        var created = await SendAsync(Write(HttpMethod.Put, $"/projects/{project}/files/bin/new.bin", CodeSyncTestKit.Developer,
            new StringContent(json, Encoding.UTF8, "application/json"), ifNoneMatch: "*"));
        Assert.True(created.Status == HttpStatusCode.Created, created.Body.ToString());
        Assert.Equal((BlobSha(bytes), true), (created.Body.GetProperty("blobSha").GetString(), created.Body.GetProperty("created").GetBoolean()));
        Assert.Equal(BlobSha(bytes), GitCli.Run(_kit.Remote, "rev-parse", "main:bin/new.bin"));
        Assert.Equal("Create bin/new.bin", GitCli.Run(_kit.Remote, "log", "-1", "--format=%s", "main"));
        var again = await SendAsync(Write(HttpMethod.Put, $"/projects/{project}/files/bin/new.bin", CodeSyncTestKit.Developer,
            new StringContent("""{"content":"x"}""", Encoding.UTF8, "application/json"), ifNoneMatch: "*"));
        Assert.Equal((HttpStatusCode.PreconditionFailed, $"\"{BlobSha(bytes)}\""), (again.Status, again.ETag));

        // DELETE with If-Match: the file goes, and the folder it leaves empty with it; its sibling folder's other file stays.
        var deleted = await SendAsync(Write(HttpMethod.Delete, $"/projects/{project}/files/lone/one.txt", CodeSyncTestKit.Developer, ifMatch: $"\"{BlobSha("1\n")}\""));
        Assert.True(deleted.Status == HttpStatusCode.OK, deleted.Body.ToString());
        var tree = GitCli.Run(_kit.Remote, "ls-tree", "-r", "--name-only", "main").Split('\n');
        Assert.Equal(["a.txt", "bin/new.bin", "src/keep.cs", "src/only.cs"], tree);
        var deletedOnly = await SendAsync(Write(HttpMethod.Delete, $"/projects/{project}/files/src/only.cs", CodeSyncTestKit.Developer, ifMatch: $"\"{BlobSha("class Only {}\n")}\""));
        Assert.Equal(HttpStatusCode.OK, deletedOnly.Status);
        Assert.Equal("class Keep {}", GitCli.Run(_kit.Remote, "show", "main:src/keep.cs"));
        var gone = await SendAsync(Write(HttpMethod.Delete, $"/projects/{project}/files/lone/one.txt", CodeSyncTestKit.Developer, ifMatch: $"\"{BlobSha("1\n")}\""));
        Assert.Equal(HttpStatusCode.NotFound, gone.Status);
        await _kit.DrainAsync();
        var files = await _kit.GetJsonAsync($"/projects/{project}/files?recursive=true");
        Assert.Equal(["a.txt", "bin/new.bin", "src/keep.cs"], files.GetProperty("items").EnumerateArray().Select(f => f.GetProperty("path").GetString()));

        // The same content again changes nothing: no commit.
        var tip = GitCli.Run(_kit.Remote, "rev-parse", "refs/heads/main");
        var unchanged = await SendAsync(Write(HttpMethod.Put, url, CodeSyncTestKit.Developer, Raw("second\n"), $"\"{BlobSha("second\n")}\""));
        Assert.Equal((HttpStatusCode.OK, true), (unchanged.Status, unchanged.Body.GetProperty("unchanged").GetBoolean()));
        Assert.Equal(tip, GitCli.Run(_kit.Remote, "rev-parse", "refs/heads/main"));
    }

    [Fact]
    public async Task Viewers_may_not_write_outsiders_learn_nothing_and_other_branches_are_written_by_ref()
    {
        var (project, _) = await SyncedProjectAsync();
        var sha = $"\"{BlobSha("first\n")}\"";
        var viewer = await SendAsync(Write(HttpMethod.Put, $"/projects/{project}/files/a.txt", CodeSyncTestKit.Viewer, Raw("v\n"), sha));
        Assert.Equal((HttpStatusCode.Forbidden, "application/problem+json"), (viewer.Status, viewer.MediaType));
        var outsider = await SendAsync(Write(HttpMethod.Delete, $"/projects/{project}/files/a.txt", CodeSyncTestKit.Outsider, ifMatch: sha));
        Assert.Equal(HttpStatusCode.NotFound, outsider.Status);
        Assert.Equal("first", GitCli.Run(_kit.Remote, "show", "main:a.txt"));

        var feature = _kit.Commit(new Dictionary<string, string?> { ["a.txt"] = "feature\n" }, branch: "feature");
        var written = await SendAsync(Write(HttpMethod.Put, $"/projects/{project}/files/a.txt?ref=feature", CodeSyncTestKit.Developer, Raw("feature 2\n"), $"\"{BlobSha("feature\n")}\""));
        Assert.True(written.Status == HttpStatusCode.OK, written.Body.ToString());
        Assert.Equal(feature, GitCli.Run(_kit.Remote, "rev-parse", "feature~1"));
        Assert.Equal("first", GitCli.Run(_kit.Remote, "show", "main:a.txt"));
        var noBranch = await SendAsync(Write(HttpMethod.Put, $"/projects/{project}/files/a.txt?ref=nosuch", CodeSyncTestKit.Developer, Raw("x\n"), sha));
        Assert.Equal(HttpStatusCode.NotFound, noBranch.Status);
    }

    [Fact]
    public async Task Bad_input_is_a_clear_4xx_problem_and_commits_nothing()
    {
        var (project, head) = await SyncedProjectAsync();
        var sha = $"\"{BlobSha("first\n")}\"";
        var cases = new (string Url, HttpMethod Method, Func<HttpContent?> Body, string? IfMatch, HttpStatusCode Status)[]
        {
            ($"/projects/{project}/files/src/..%2F..%2Fetc/passwd", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/.git/config", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/sub/.GIT/hooks/pre-commit", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/lone%ED%A0%80surrogate.txt", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.BadRequest),
            // (A NUL in the path itself never reaches a function: the server refuses the request line; the in-memory one throws.)
            ($"/projects/{project}/files/a.txt?message=%00", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/a.txt?ref=refs/tags/v1", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/a.txt", HttpMethod.Put, () => Raw("x"), "\"not-a-sha\"", HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/a.txt", HttpMethod.Put, () => new StringContent("{\"content\": ", Encoding.UTF8, "application/json"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/a.txt", HttpMethod.Put, () => new StringContent("""{"content":"%%%","encoding":"base64"}""", Encoding.UTF8, "application/json"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/a.txt", HttpMethod.Put, () => new StringContent("""{"content":"x","encoding":"utf-16"}""", Encoding.UTF8, "application/json"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/a.txt", HttpMethod.Put, () => new StringContent("""{"content":"\ud800"}""", Encoding.UTF8, "application/json"), sha, HttpStatusCode.BadRequest),
            ($"/projects/{project}/files/a.txt", HttpMethod.Put, () => new ByteArrayContent(new byte[(int)DevMentor.Functions.Code.FileWriteFunctions.MaxBodyBytes + 1]), sha, HttpStatusCode.RequestEntityTooLarge),
            ($"/projects/{project}/files/a.txt", HttpMethod.Put, () => new ByteArrayContent(new byte[DevMentor.Core.Code.Edits.FileEditService.MaxContentBytes + 1]), sha, HttpStatusCode.RequestEntityTooLarge),
            ($"/projects/{project}/files/src", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.Conflict), // a folder
            ($"/projects/{project}/files/src", HttpMethod.Delete, () => null, sha, HttpStatusCode.Conflict),
            ($"/projects/{project}/files/a.txt/inside", HttpMethod.Put, () => Raw("x"), sha, HttpStatusCode.Conflict), // under a file
        };
        foreach (var (url, method, body, ifMatch, status) in cases)
        {
            var answer = await SendAsync(Write(method, url, CodeSyncTestKit.Developer, body(), ifMatch));
            Assert.True(answer.Status == status, $"{method} {url}: {answer.Status} {answer.Body}");
            Assert.Equal("application/problem+json", answer.MediaType);
        }

        Assert.Equal(head, GitCli.Run(_kit.Remote, "rev-parse", "refs/heads/main"));
    }

    /// <summary>
    /// A pre-receive hook on the remote commits a change of its own to the branch while the
    /// service's push is being taken, as a concurrent pusher would: the service's push is refused.
    /// </summary>
    private void RaceOnNextPush(string file)
    {
        var hook = Path.Combine(_kit.Remote, "hooks", "pre-receive");
        File.WriteAllText(Path.Combine(_kit.Remote, "race"), file);
        File.WriteAllText(hook, """
            #!/bin/sh
            [ -f race ] || exit 0
            file=$(cat race); rm race
            unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
            export GIT_AUTHOR_NAME=Racer GIT_AUTHOR_EMAIL=racer@devmentor.invalid GIT_COMMITTER_NAME=Racer GIT_COMMITTER_EMAIL=racer@devmentor.invalid
            blob=$(printf 'theirs\n' | git hash-object -w --stdin)
            tree=$( (git ls-tree refs/heads/main | grep -v "	$file\$"; printf '100644 blob %s\t%s\n' "$blob" "$file") | git mktree)
            commit=$(git commit-tree "$tree" -p refs/heads/main -m race)
            git update-ref refs/heads/main "$commit"
            """.Replace("\r\n", "\n"));
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    [Fact]
    public async Task A_change_pushed_by_someone_else_during_the_write_is_never_lost()
    {
        var (project, _) = await SyncedProjectAsync();

        // Another file changed meanwhile: the service's push is refused, it fetches again, and its edit goes on top of theirs.
        RaceOnNextPush("other.txt");
        var kept = await SendAsync(Write(HttpMethod.Put, $"/projects/{project}/files/a.txt", CodeSyncTestKit.Developer, Raw("mine\n"), $"\"{BlobSha("first\n")}\""));
        Assert.True(kept.Status == HttpStatusCode.OK, kept.Body.ToString());
        Assert.False(File.Exists(Path.Combine(_kit.Remote, "race")), "the race did not run");
        Assert.Equal(("mine", "theirs"), (GitCli.Run(_kit.Remote, "show", "main:a.txt"), GitCli.Run(_kit.Remote, "show", "main:other.txt")));
        Assert.Equal("race", GitCli.Run(_kit.Remote, "log", "-1", "--format=%s", "main~1"));

        // The same file changed meanwhile: 412 with their version's ETag; theirs stays.
        RaceOnNextPush("a.txt");
        var refused = await SendAsync(Write(HttpMethod.Put, $"/projects/{project}/files/a.txt", CodeSyncTestKit.Developer, Raw("mine again\n"), $"\"{BlobSha("mine\n")}\""));
        Assert.Equal((HttpStatusCode.PreconditionFailed, $"\"{BlobSha("theirs\n")}\""), (refused.Status, refused.ETag));
        Assert.Equal("theirs", GitCli.Run(_kit.Remote, "show", "main:a.txt"));
        Assert.Equal("race", GitCli.Run(_kit.Remote, "log", "-1", "--format=%s", "main"));
    }
}
