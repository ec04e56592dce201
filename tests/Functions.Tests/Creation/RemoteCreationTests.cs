using System.Net;
using System.Text.Json;
using DevMentor.Core.Creation;
using DevMentor.Functions.Tests.HostedGit;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DevMentor.Functions.Tests.Creation;

/// <summary>
/// The creation flow on GitHub (Octokit) and GitLab (its REST API), against stateful fakes that
/// record every call: the repository, the template's commit, the lock file's commit, the webhook
/// with the project's secret, branch protection, the first build; a step re-run creates nothing
/// twice; a host's failure shows on the step, without the token, and the retry finishes.
/// No runner and no sync worker: the flow's own work is what is checked.
/// </summary>
public sealed class RemoteCreationTests
{
    private const string Owner = HostedGitKit.Owner;
    private const string GitHubToken = "ghp_creation_secret_token_1234";
    private const string GitLabToken = "glpat-creation-secret-token-5678";

    /// <summary>A stand-in npm that writes a lock file, as `npm install` does (no registry needed).</summary>
    private static string LockingNpm()
    {
        var directory = PipelineTestKit.NewScratchDirectory("create-npm");
        var npm = Path.Combine(directory, "npm");
        File.WriteAllText(npm, "#!/bin/sh\necho '{\"lockfileVersion\":3,\"stand-in\":true}' > package-lock.json\n");
        File.SetUnixFileMode(npm, (UnixFileMode)0x1ED); // 0755
        return npm;
    }

    /// <summary>The host's logging setup clears the providers a builder adds: the app's own factory takes the capture once started.</summary>
    private static void Capture(TestApp app, CapturedLogs logs) => app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);

    [Fact]
    public async Task A_github_template_project_gets_its_repository_commits_hook_protection_and_first_build_and_a_failure_is_retried()
    {
        await using var host = await FakeRepositoryHost.StartAsync();
        var github = new FakeGitHubRepositories();
        host.Handler = github.Handle;
        var logs = new CapturedLogs();
        var instance = await CreationTests.Instance.NewAsync("create_github");
        await using var app = await instance.StartAsync(runner: false, b => b.Logging.AddFilter<CapturedLogs>(_ => true),
            ("GitHub:ApiBaseUrl", host.BaseAddress.ToString()), ("GitHub:Token", GitHubToken), ("Service:PublicBaseUrl", "https://devmentor.example/"),
            ("Creation:NpmPath", LockingNpm()), ("Sync:Enabled", "false"));
        Capture(app, logs);

        // GitHub is down for the first call: the flow fails at its first step, saying so.
        host.FailNext(1);
        var name = "app-" + Guid.NewGuid().ToString("N")[..6];
        var body = JsonSerializer.Serialize(new { name, template = "node-express", repository = new { provider = "github", fullName = $"{FakeGitHubRepositories.TokenUser}/{name}" }, protectBranch = true });
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, body));
        var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, accepted.GetRawText());
        var id = accepted.GetProperty("id").GetGuid();
        var secret = accepted.GetProperty("webhookSecret").GetString()!;
        Assert.Equal("github", accepted.GetProperty("creation").GetProperty("provider").GetString());

        var failed = await CreationTests.WaitForFlowAsync(app, id, "failed", TimeSpan.FromMinutes(1));
        var error = CreationTests.Step(failed, "create_repository").GetProperty("error").GetString()!;
        Assert.Contains("GitHub answered 503", error, StringComparison.Ordinal);
        Assert.Contains($"looking up repository octo/{name}", error, StringComparison.Ordinal);
        Assert.DoesNotContain(GitHubToken, failed.GetRawText(), StringComparison.Ordinal);
        Assert.Null(github.Find($"octo/{name}"));

        using (var retried = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/creation/retry", Owner)))
        {
            Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        }

        var done = await CreationTests.WaitForFlowAsync(app, id, "succeeded", TimeSpan.FromMinutes(2));
        Assert.Equal([2, 1, 1, 1, 1], done.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("attempts").GetInt32()));
        Assert.Contains("package-lock.json committed", CreationTests.Step(done, "dependencies").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("requiring devmentor/build and devmentor/analysis", CreationTests.Step(done, "ci").GetProperty("detail").GetString(), StringComparison.Ordinal);
        using (var build = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}/builds/{done.GetProperty("firstBuildId").GetGuid()}", Owner)))
        {
            var run = JsonDocument.Parse(await build.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, build.StatusCode);
            Assert.Equal("push", run.GetProperty("trigger").GetString());
        }

        // What GitHub holds: the template's commit (no parent, replacing auto_init's) and the lock file's on top.
        var repo = github.Find($"octo/{name}")!;
        var head = repo.Commits[repo.Refs["heads/main"]];
        Assert.Equal("Lock dependencies (package-lock.json)", head["message"]!.GetValue<string>());
        var first = repo.Commits[head["parents"]![0]!["sha"]!.GetValue<string>()];
        Assert.StartsWith($"Create {name} from the node-express template", first["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(first["parents"]!.AsArray());
        var files = github.FilesAt($"octo/{name}", "main");
        Assert.Contains(".devmentor.yml", files.Keys);
        Assert.Contains("\"stand-in\":true", files["package-lock.json"], StringComparison.Ordinal);
        Assert.DoesNotContain("README.md", files.Where(f => f.Value == "# readme\n").Select(f => f.Key));

        // The calls, in essence: repository under the token's user with auto_init, blobs/tree/commit/ref, hook, protection; all with the token.
        var calls = host.Calls.Where(c => !c.PathAndQuery.Contains("/statuses/", StringComparison.Ordinal)).ToList();
        Assert.All(calls, c => Assert.Contains(GitHubToken, c.Headers["Authorization"], StringComparison.Ordinal));
        var create = Assert.Single(calls, c => c.Method == "POST" && c.PathAndQuery == "/api/v3/user/repos");
        Assert.True(JsonDocument.Parse(create.Body).RootElement.GetProperty("auto_init").GetBoolean());
        Assert.Equal(files.Count, calls.Count(c => c.Method == "POST" && c.PathAndQuery.EndsWith("/git/blobs", StringComparison.Ordinal)));
        Assert.Equal(2, calls.Count(c => c.Method == "POST" && c.PathAndQuery.EndsWith("/git/commits", StringComparison.Ordinal)));
        var forced = calls.First(c => c.Method == "PATCH" && c.PathAndQuery.Contains("/git/refs/heads/main", StringComparison.Ordinal));
        Assert.True(JsonDocument.Parse(forced.Body).RootElement.GetProperty("force").GetBoolean());
        var hook = JsonDocument.Parse(Assert.Single(calls, c => c.Method == "POST" && c.PathAndQuery.EndsWith("/hooks", StringComparison.Ordinal)).Body).RootElement;
        Assert.Equal($"https://devmentor.example/webhooks/github?project={id}", hook.GetProperty("config").GetProperty("url").GetString());
        Assert.Equal(secret, hook.GetProperty("config").GetProperty("secret").GetString());
        Assert.Equal(["push", "pull_request", "issues"], hook.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        var protection = JsonDocument.Parse(Assert.Single(calls, c => c.Method == "PUT" && c.PathAndQuery.EndsWith("/branches/main/protection", StringComparison.Ordinal)).Body).RootElement;
        Assert.Equal(["devmentor/build", "devmentor/analysis"], protection.GetProperty("required_status_checks").GetProperty("contexts").EnumerateArray().Select(e => e.GetString()));

        // A step re-run (as after a crash) looks up and finds: no second repository, hook or commit.
        var work = app.Services.GetRequiredService<CreationWork>();
        await work.RunAsync(id, CreationSteps.CreateRepository, CancellationToken.None);
        await work.RunAsync(id, CreationSteps.InitialCommit, CancellationToken.None);
        await work.RunAsync(id, CreationSteps.Dependencies, CancellationToken.None);
        Assert.Single(host.Calls, c => c.Method == "POST" && c.PathAndQuery == "/api/v3/user/repos");
        Assert.Single(host.Calls, c => c.Method == "POST" && c.PathAndQuery.EndsWith("/hooks", StringComparison.Ordinal));
        Assert.Equal(2, host.Calls.Count(c => c.Method == "POST" && c.PathAndQuery.EndsWith("/git/commits", StringComparison.Ordinal)));
        Assert.Single(repo.Hooks);

        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(GitHubToken, StringComparison.Ordinal) || e.Message.Contains(secret, StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("create_repository failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_gitlab_template_project_gets_its_project_commit_hook_and_protection_and_a_failed_hook_is_retried_without_a_second_project()
    {
        await using var host = await FakeRepositoryHost.StartAsync();
        var gitlab = new FakeGitLabProjects();
        host.Handler = gitlab.Handle;
        var logs = new CapturedLogs();
        var instance = await CreationTests.Instance.NewAsync("create_gitlab");
        await using var app = await instance.StartAsync(runner: false, b => b.Logging.AddFilter<CapturedLogs>(_ => true),
            ("GitLab:ApiBaseUrl", new Uri(host.BaseAddress, "api/v4/").ToString()), ("GitLab:Token", GitLabToken),
            ("Service:PublicBaseUrl", "https://devmentor.example/"), ("Sync:Enabled", "false"));
        Capture(app, logs);

        // GitLab fails creating the hook, after the project exists: the step fails with GitLab's answer.
        gitlab.FailNextHookCreation();
        var name = "site-" + Guid.NewGuid().ToString("N")[..6];
        var body = JsonSerializer.Serialize(new { name, template = "static-site", repository = new { provider = "gitlab", fullName = $"group/{name}" }, protectBranch = true });
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, body));
        var accepted = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, accepted.GetRawText());
        var id = accepted.GetProperty("id").GetGuid();
        var secret = accepted.GetProperty("webhookSecret").GetString()!;

        var failed = await CreationTests.WaitForFlowAsync(app, id, "failed", TimeSpan.FromMinutes(1));
        var error = CreationTests.Step(failed, "create_repository").GetProperty("error").GetString()!;
        Assert.Equal($"GitLab answered 500 (GitLab is having trouble) creating the hook of group/{name}: 500 Internal Server Error.", error);
        Assert.DoesNotContain(GitLabToken, failed.GetRawText(), StringComparison.Ordinal);
        Assert.NotNull(gitlab.Find($"group/{name}"));

        using (var retried = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/creation/retry", Owner)))
        {
            Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        }

        var done = await CreationTests.WaitForFlowAsync(app, id, "succeeded", TimeSpan.FromMinutes(2));
        Assert.Equal("no dependency manifest", CreationTests.Step(done, "dependencies").GetProperty("detail").GetString());
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("firstBuildId").ValueKind);

        var project = gitlab.Find($"group/{name}")!;
        Assert.Contains(".devmentor.yml", project.Files.Keys);
        Assert.Equal($"Create {name} from the static-site template", project.Branches["main"].Message);
        Assert.Equal(secret, Assert.Single(project.Hooks)["token"]!.GetValue<string>());
        Assert.Equal($"https://devmentor.example/webhooks/gitlab?project={id}", project.Hooks[0]["url"]!.GetValue<string>());
        Assert.Contains("main", project.Protected);
        Assert.True(project.PipelineMustSucceed);

        var calls = host.Calls.Where(c => !c.PathAndQuery.Contains("/statuses/", StringComparison.Ordinal)).ToList();
        Assert.All(calls, c => Assert.Equal(GitLabToken, c.Headers["PRIVATE-TOKEN"]));
        var created = JsonDocument.Parse(Assert.Single(calls, c => c.Method == "POST" && c.PathAndQuery == "/api/v4/projects").Body).RootElement;
        Assert.Equal(7, created.GetProperty("namespace_id").GetInt32());
        Assert.Equal("main", created.GetProperty("default_branch").GetString());
        var commit = JsonDocument.Parse(Assert.Single(calls, c => c.Method == "POST" && c.PathAndQuery.EndsWith("/repository/commits", StringComparison.Ordinal)).Body).RootElement;
        Assert.Equal(project.Files.Count, commit.GetProperty("actions").GetArrayLength());
        Assert.All(commit.GetProperty("actions").EnumerateArray(), a => Assert.Equal("create", a.GetProperty("action").GetString()));
        Assert.Equal(2, calls.Count(c => c.Method == "POST" && c.PathAndQuery.EndsWith("/hooks", StringComparison.Ordinal))); // the failed one and the retry's
        Assert.Single(calls, c => c.Method == "POST" && c.PathAndQuery.EndsWith("/protected_branches", StringComparison.Ordinal));

        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(GitLabToken, StringComparison.Ordinal) || e.Message.Contains(secret, StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Message.Contains("GitLab answered 500", StringComparison.Ordinal));
    }
}
