using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.HostedGit;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Creation;

/// <summary>
/// POST /projects with a template: 202 and the creation flow (a Durable orchestration) through its
/// steps, to the first green build through the service's own pipeline; a crash mid-flow resumed by
/// another instance; a failed step retried; and the 201 of a plain create.
/// </summary>
public sealed class CreationTests
{
    private const string Owner = HostedGitKit.Owner;
    private const string Viewer = HostedGitKit.Viewer;

    /// <summary>
    /// One instance's settings; instances of one test share the database, the storage and the hosted repositories
    /// (each has a data dir of its own: a stopped in-process app keeps its data dir's lock until the process ends).
    /// </summary>
    internal sealed record Instance(string ConnectionString, string HostedDirectory, string Storage, string Container)
    {
        public static async Task<Instance> NewAsync(string purpose) => new(
            await TestPostgres.CreateDatabaseAsync(purpose),
            Path.Combine(TestPostgres.ScratchRoot, "hosted-" + Guid.NewGuid().ToString("N")[..8]),
            (await TestAzurite.SharedAsync()).ConnectionString,
            TestAzurite.NewContainer("create"));

        public Task<TestApp> StartAsync(bool runner, params (string Key, string? Value)[] extra) => StartAsync(runner, null, extra);

        public Task<TestApp> StartAsync(bool runner, Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder>? configure, params (string Key, string? Value)[] extra) =>
            TestApp.StartAsync(ConnectionString, TestAuth.Settings([
                ("HostedGit:Directory", HostedDirectory),
                ("AzureWebJobsStorage", Storage),
                ("Blob:Container", Container),
                ("Pipelines:Runner:Enabled", runner ? "true" : "false"),
                ("Pipelines:Runner:Workers", "1"),
                ("Pipelines:HeartbeatSeconds", "0.3"),
                ("Pipelines:PollIntervalSeconds", "0.1"),
                ("Deployments:Worker:Enabled", "false"),
                .. extra]), configure);
    }

    [Theory]
    [InlineData("node-express", 2)]
    [InlineData("go-http", 1)]
    public async Task A_template_project_is_created_committed_locked_built_green_and_indexed(string template, int commits)
    {
        var instance = await Instance.NewAsync("create_" + template.Replace('-', '_'));
        await using var app = await instance.StartAsync(runner: true, ("Sync:Enabled", "true"));
        var (id, accepted) = await CreateAsync(app, template);
        Assert.Equal(CreationStepNames, accepted.GetProperty("creation").GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()));

        var creation = await WaitForFlowAsync(app, id, "succeeded", TimeSpan.FromMinutes(4));
        foreach (var step in creation.GetProperty("steps").EnumerateArray())
        {
            Assert.Equal("succeeded", step.GetProperty("state").GetString());
            Assert.Equal(1, step.GetProperty("attempts").GetInt32());
            Assert.True(step.GetProperty("finishedAt").GetDateTimeOffset() >= step.GetProperty("startedAt").GetDateTimeOffset());
        }

        Assert.EndsWith($"/git/{id}.git", creation.GetProperty("cloneUrl").GetString(), StringComparison.Ordinal);
        var run = await WaitForJsonAsync(app, $"/projects/{id}/builds/{creation.GetProperty("firstBuildId").GetGuid()}",
            r => r.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled" or "timed_out", TimeSpan.FromMinutes(4));
        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.GetRawText());

        // What the flow committed, cloned over the hosted smart-HTTP endpoint.
        await using var forwarder = await LoopbackForwarder.StartAsync(app);
        var key = await CreateKeyAsync(app, Owner);
        var clone = Path.Combine(TestPostgres.ScratchRoot, "created-" + Guid.NewGuid().ToString("N")[..8]);
        GitCommand.Ok(TestPostgres.ScratchRoot, "clone", "--quiet", $"http://owner:{key}@127.0.0.1:{forwarder.BaseAddress.Port}/git/{id}.git", clone);
        Assert.True(File.Exists(Path.Combine(clone, ".devmentor.yml")));
        Assert.Equal(commits, GitCommand.Ok(clone, "log", "--format=%H").Split('\n').Length);
        Assert.Equal(template == "node-express", File.Exists(Path.Combine(clone, "package-lock.json")));

        // The index step's sync of the same commit.
        var head = GitCommand.Ok(clone, "rev-parse", "HEAD");
        await WaitForJsonAsync(app, $"/projects/{id}/syncs",
            s => s.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("commitSha").GetString() == head && i.GetProperty("status").GetString() == "succeeded"),
            TimeSpan.FromMinutes(2));
    }

    [Fact]
    public async Task A_crash_mid_flow_is_resumed_by_another_instance_from_the_step_reached()
    {
        var instance = await Instance.NewAsync("create_crash");
        // The first instance's install hangs (a stand-in npm that sleeps): the instance stops while that step runs.
        var scripts = PipelineTestKit.NewScratchDirectory("create-crash");
        var hanging = Path.Combine(scripts, "npm");
        File.WriteAllText(hanging, $"#!/bin/sh\necho $$ > {scripts}/pid\nexec sleep 300\n");
        File.SetUnixFileMode(hanging, (UnixFileMode)0x1ED); // 0755
        // The stopped instance's activity message comes back to the next one after the visibility timeout (30 s by default).
        (string, string?)[] durable = [("Durable:VisibilityTimeoutSeconds", "5"), ("Durable:LeaseSeconds", "5")];
        Guid id;
        await using (var first = await instance.StartAsync(runner: false, [("Creation:NpmPath", hanging), .. durable]))
        {
            (id, _) = await CreateAsync(first, "node-express");
            await WaitForJsonAsync(first, $"/projects/{id}/creation", c => Step(c, "dependencies").GetProperty("state").GetString() == "running", TimeSpan.FromMinutes(1));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(Path.Combine(scripts, "pid")))
            {
                Assert.True(DateTime.UtcNow < deadline, "the stand-in npm never ran");
                await Task.Delay(100);
            }
        }

        try
        {
            await using var second = await instance.StartAsync(runner: false, durable);
            var creation = await WaitForFlowAsync(second, id, "succeeded", TimeSpan.FromMinutes(3));
            Assert.Equal(1, Step(creation, "create_repository").GetProperty("attempts").GetInt32());
            Assert.Equal(1, Step(creation, "initial_commit").GetProperty("attempts").GetInt32());
            Assert.Equal(2, Step(creation, "dependencies").GetProperty("attempts").GetInt32());
            Assert.Contains("package-lock.json committed", Step(creation, "dependencies").GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.NotEqual(JsonValueKind.Null, creation.GetProperty("firstBuildId").ValueKind);
        }
        finally
        {
            if (File.Exists(Path.Combine(scripts, "pid")) && int.TryParse(File.ReadAllText(Path.Combine(scripts, "pid")).Trim(), out var pid))
            {
                try
                {
                    System.Diagnostics.Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                    // Gone already.
                }
            }
        }
    }

    [Fact]
    public async Task A_failed_step_is_retried_by_a_maintainer_from_that_step()
    {
        var instance = await Instance.NewAsync("create_retry");
        Guid id;
        await using (var broken = await instance.StartAsync(runner: false, ("Creation:NpmPath", "/bin/false")))
        {
            (id, _) = await CreateAsync(broken, "node-express");
            var failed = await WaitForFlowAsync(broken, id, "failed", TimeSpan.FromMinutes(2));
            Assert.Equal(["succeeded", "succeeded", "failed", "pending", "pending"], failed.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("state").GetString()));
            Assert.Contains("exited 1", Step(failed, "dependencies").GetProperty("error").GetString(), StringComparison.Ordinal);

            using var added = await broken.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{id}/collaborators/{Viewer}", Owner, """{"role":"viewer"}"""));
            Assert.True(added.IsSuccessStatusCode);
            using var byViewer = await broken.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/creation/retry", Viewer));
            Assert.Equal(HttpStatusCode.Forbidden, byViewer.StatusCode);
        }

        // Fixed (another instance with a working npm): the retry passes the steps done and runs the failed one again.
        await using var fixedApp = await instance.StartAsync(runner: false);
        using (var retried = await fixedApp.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/creation/retry", Owner)))
        {
            Assert.True(retried.StatusCode == HttpStatusCode.Accepted, await retried.Content.ReadAsStringAsync());
            Assert.Equal($"/projects/{id}/creation", retried.Headers.Location?.OriginalString);
        }

        var creation = await WaitForFlowAsync(fixedApp, id, "succeeded", TimeSpan.FromMinutes(3));
        Assert.Equal(2, creation.GetProperty("attempt").GetInt32());
        Assert.Equal([1, 1, 2, 1, 1], creation.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("attempts").GetInt32()));
        Assert.Null(Step(creation, "dependencies").GetProperty("error").GetString());

        using var again = await fixedApp.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{id}/creation/retry", Owner));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task Only_a_template_create_is_a_202_and_idempotency_keys_still_hold()
    {
        var instance = await Instance.NewAsync("create_split");
        await using var app = await instance.StartAsync(runner: false, ("Creation:NpmPath", "/bin/false"));

        using (var plain = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, """{"name":"plain hosted","repository":{"provider":"hosted"}}""")))
        {
            Assert.Equal(HttpStatusCode.Created, plain.StatusCode);
            var plainId = JsonDocument.Parse(await plain.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
            using var none = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{plainId}/creation", Owner));
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        }

        foreach (var (body, field) in new[]
                 {
                     ("""{"name":"x","template":"cobol","repository":{"provider":"hosted"}}""", "template"),
                     ("""{"name":"x","template":"go-http","repository":{"provider":"git","cloneUrl":"https://example.com/x.git"}}""", "repository.provider"),
                     ("""{"name":"x","template":"go-http","repository":{"provider":"github","fullName":"a/b/c"}}""", "repository.fullName"),
                     ("""{"name":"x","template":"go-http","repository":{"provider":"hosted"},"protectBranch":true}""", "protectBranch"),
                     ("""{"name":"x","template":"go-http"}""", "repository.provider"),
                     ("""{"name":"x","template":"go-http","repository":{"provider":"hosted"},"templateValues":{"projectName":"Not A Label"}}""", "templateValues.projectName"),
                 })
        {
            using var refused = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, body));
            var text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, text);
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), text);
        }

        // Valid, but this instance has no GitHub credentials: 422 before anything is stored.
        using (var noToken = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner,
                   """{"name":"no token","template":"go-http","repository":{"provider":"github","fullName":"o/no-token"}}""")))
        {
            var text = await noToken.Content.ReadAsStringAsync();
            Assert.True(noToken.StatusCode == HttpStatusCode.UnprocessableEntity, text);
            Assert.Contains("GitHub:Token", text, StringComparison.Ordinal);
        }

        var request = """{"name":"keyed","template":"go-http","repository":{"provider":"hosted"}}""";
        Guid first;
        using (var one = TestAuth.Request(HttpMethod.Post, "/projects", Owner, request))
        {
            one.Headers.Add("Idempotency-Key", "create-once");
            using var answer = await app.Client.SendAsync(one);
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            first = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        }

        using (var two = TestAuth.Request(HttpMethod.Post, "/projects", Owner, request))
        {
            two.Headers.Add("Idempotency-Key", "create-once");
            using var answer = await app.Client.SendAsync(two);
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
            Assert.Equal("true", answer.Headers.GetValues("Idempotent-Replayed").Single());
            Assert.Equal(first, JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid());
        }

        var done = await WaitForFlowAsync(app, first, "succeeded", TimeSpan.FromMinutes(2));
        Assert.Equal(1, done.GetProperty("attempt").GetInt32());
        using var list = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/projects?q=keyed", Owner));
        Assert.Single(JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray());
    }

    private static readonly string[] CreationStepNames = ["create_repository", "initial_commit", "dependencies", "ci", "index"];

    internal static JsonElement Step(JsonElement creation, string name) =>
        creation.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);

    internal static async Task<(Guid Id, JsonElement Body)> CreateAsync(TestApp app, string template)
    {
        var body = JsonSerializer.Serialize(new { name = template + " " + Guid.NewGuid().ToString("N")[..6], template, repository = new { provider = "hosted" } });
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        var json = JsonDocument.Parse(text).RootElement.Clone();
        var id = json.GetProperty("id").GetGuid();
        Assert.Equal($"/projects/{id}/creation", response.Headers.Location?.OriginalString);
        return (id, json);
    }

    internal static Task<JsonElement> WaitForFlowAsync(TestApp app, Guid id, string status, TimeSpan timeout) =>
        WaitForJsonAsync(app, $"/projects/{id}/creation", c =>
        {
            var now = c.GetProperty("status").GetString();
            Assert.True(now == status || now == "running", $"the flow ended {now}, not {status}: {c.GetRawText()}");
            return now == status;
        }, timeout);

    internal static async Task<JsonElement> WaitForJsonAsync(TestApp app, string url, Func<JsonElement, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, url, Owner));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {text}");
            var json = JsonDocument.Parse(text).RootElement.Clone();
            if (done(json))
            {
                return json;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} after {timeout}: {text}");
            await Task.Delay(200);
        }
    }

    private static async Task<string> CreateKeyAsync(TestApp app, string user) =>
        (await Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<DevMentor.Core.Security.ApiKeyStore>(app.Services)
            .CreateAsync("clone", user, admin: false, createdBy: null, CancellationToken.None)).Key;
}
