using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Runners;

public sealed class RunnerFunctionsTests
{
    private const string RegistrationToken = "test-registration-token-0123456789";

    private static Task<TestApp> StartAsync(string purpose, string? registrationToken = RegistrationToken) =>
        PipelineTestKit.StartAppAsync(purpose, new Dictionary<string, string?> { ["Runners:RegistrationToken"] = registrationToken });

    private static async Task<string> RegisterAsync(TestApp app, params string[] labels)
    {
        using var response = await app.Client.PostAsJsonAsync("/runners/register", new { registrationToken = RegistrationToken, name = "ci-1", labels });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(["linux", "docker"], body.RootElement.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        return body.RootElement.GetProperty("token").GetString()!;
    }

    private static HttpRequestMessage Post(string path, string? token, object? body = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    [Fact]
    public async Task A_registered_runner_claims_heartbeats_logs_and_completes_a_step()
    {
        await using var app = await StartAsync("runnerapi");
        var token = await RegisterAsync(app, "linux", "docker");
        var run = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));

        using var claim = await app.Client.SendAsync(Post("/runners/jobs/next?wait=20", token));
        Assert.Equal(HttpStatusCode.OK, claim.StatusCode);
        using var job = JsonDocument.Parse(await claim.Content.ReadAsStringAsync());
        var stepId = job.RootElement.GetProperty("stepId").GetGuid();
        Assert.Equal(1, job.RootElement.GetProperty("attempt").GetInt32());
        Assert.Equal("build", job.RootElement.GetProperty("stepName").GetString());
        Assert.Equal("build", job.RootElement.GetProperty("definition").GetProperty("steps")[0].GetProperty("name").GetString());

        using var heartbeat = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/heartbeat", token, new { attempt = 1 }));
        Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
        Assert.Contains("\"action\":\"continue\"", await heartbeat.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var log = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/log", token, new { attempt = 1, text = "compiling\n" }));
        Assert.Equal(HttpStatusCode.NoContent, log.StatusCode);

        using var complete = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/complete", token, new { attempt = 1, outcome = "succeeded", exitCode = 0 }));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        using var result = JsonDocument.Parse(await complete.Content.ReadAsStringAsync());
        // The outcome is recorded; the run's orchestration ends the run just after.
        Assert.Equal("succeeded", result.RootElement.GetProperty("stepStatus").GetString());
        Assert.Equal(RunStatus.Succeeded, (await app.Engine().WaitForEndAsync(run, TimeSpan.FromSeconds(20))).Status);

        Assert.Equal("==> attempt 1\ncompiling\n", await app.Engine().ReadLogAsync(run.ProjectId, run.RunId, "build", CancellationToken.None));
        var view = (await app.Engine().GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!;
        Assert.StartsWith("runner:", view.Steps[0].LeaseOwner, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_service_caps_each_attempts_log_itself_whatever_a_runner_posts()
    {
        const int cap = 4096;
        await using var app = await PipelineTestKit.StartAppAsync("runnerlogcap", new Dictionary<string, string?>
        {
            ["Runners:RegistrationToken"] = RegistrationToken,
            ["Pipelines:MaxLogBytes"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var token = await RegisterAsync(app, "linux", "docker");
        var run = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));
        using var claim = await app.Client.SendAsync(Post("/runners/jobs/next?wait=20", token));
        var stepId = JsonDocument.Parse(await claim.Content.ReadAsStringAsync()).RootElement.GetProperty("stepId").GetGuid();

        // A runner that ignores its own limit: 40 chunks of 1000 bytes; the cap falls inside the 3-byte character of the fifth.
        var line = new string('a', 95) + "✓" + new string('b', 902);
        for (var i = 0; i < 40; i++)
        {
            using var log = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/log", token, new { attempt = 1, text = line }));
            Assert.Equal(HttpStatusCode.NoContent, log.StatusCode); // accepted, so the runner goes on with its step
        }

        var text = (await app.Engine().ReadLogAsync(run.ProjectId, run.RunId, "build", CancellationToken.None))!;
        var attempt = text["==> attempt 1\n".Length..];
        var notice = $"[devmentor] log truncated at {cap} bytes\n";
        Assert.EndsWith("\n" + notice, attempt, StringComparison.Ordinal);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(attempt, "log truncated"));
        var kept = attempt[..^(notice.Length + 1)];
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(kept), cap - 3, cap); // cut where a character ends
        Assert.DoesNotContain('\uFFFD', kept);
        Assert.StartsWith(line + line + line + line, kept, StringComparison.Ordinal);

        // The cap is per attempt: a retry's log starts from nothing.
        using var fail = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/complete", token, new { attempt = 1, outcome = "error", error = "lost" }));
        Assert.Equal(HttpStatusCode.OK, fail.StatusCode);
        using var again = await app.Client.SendAsync(Post("/runners/jobs/next?wait=20", token));
        Assert.Equal(2, JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("attempt").GetInt32());
        using var second = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/log", token, new { attempt = 2, text = "retrying\n" }));
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.EndsWith("==> attempt 2\nretrying\n", await app.Engine().ReadLogAsync(run.ProjectId, run.RunId, "build", CancellationToken.None), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_completion_with_claimNext_hands_the_runner_its_next_step_leased_to_it()
    {
        await using var app = await StartAsync("runnerclaimnext");
        var token = await RegisterAsync(app, "linux", "docker");
        var first = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("clone"));
        var second = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));
        await app.Engine().WaitForRunAsync(first, v => v.Steps[0].Status == StepStatus.Queued, TimeSpan.FromSeconds(20));
        await app.Engine().WaitForRunAsync(second, v => v.Steps[0].Status == StepStatus.Queued, TimeSpan.FromSeconds(20));

        using var claim = await app.Client.SendAsync(Post("/runners/jobs/next?wait=20", token));
        var taken = JsonDocument.Parse(await claim.Content.ReadAsStringAsync()).RootElement;
        using var complete = await app.Client.SendAsync(Post($"/runners/jobs/{taken.GetProperty("stepId").GetGuid()}/complete", token, new { attempt = 1, outcome = "succeeded", exitCode = 0, claimNext = true }));

        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        var next = JsonDocument.Parse(await complete.Content.ReadAsStringAsync()).RootElement.GetProperty("next");
        Assert.NotEqual(taken.GetProperty("stepName").GetString(), next.GetProperty("stepName").GetString());
        Assert.Equal(1, next.GetProperty("attempt").GetInt32());
        using var heartbeat = await app.Client.SendAsync(Post($"/runners/jobs/{next.GetProperty("stepId").GetGuid()}/heartbeat", token, new { attempt = 1 }));
        Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
        using var nothingLeft = await app.Client.SendAsync(Post("/runners/jobs/next?wait=0", token));
        Assert.Equal(HttpStatusCode.NoContent, nothingLeft.StatusCode);

        // Without claimNext the answer carries no step (an older runner never gets one it does not expect).
        using var last = await app.Client.SendAsync(Post($"/runners/jobs/{next.GetProperty("stepId").GetGuid()}/complete", token, new { attempt = 1, outcome = "succeeded", exitCode = 0 }));
        var body = JsonDocument.Parse(await last.Content.ReadAsStringAsync()).RootElement;
        Assert.True(!body.TryGetProperty("next", out var none) || none.ValueKind == JsonValueKind.Null);
        Assert.Equal(RunStatus.Succeeded, (await app.Engine().WaitForEndAsync(first, TimeSpan.FromSeconds(20))).Status);
        Assert.Equal(RunStatus.Succeeded, (await app.Engine().WaitForEndAsync(second, TimeSpan.FromSeconds(20))).Status);
    }

    [Fact]
    public async Task A_stale_runner_gets_409_and_cannot_complete()
    {
        await using var app = await StartAsync("runnerstale");
        var stale = await RegisterAsync(app, "linux", "docker");
        var fresh = await RegisterAsync(app, "linux", "docker");
        var run = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));
        using var claim = await app.Client.SendAsync(Post("/runners/jobs/next?wait=20", stale));
        var stepId = JsonDocument.Parse(await claim.Content.ReadAsStringAsync()).RootElement.GetProperty("stepId").GetGuid();

        // Another runner's token cannot act on this lease.
        using var foreign = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/complete", fresh, new { attempt = 1, outcome = "succeeded" }));
        Assert.Equal(HttpStatusCode.Conflict, foreign.StatusCode);

        await app.ExpireLeaseAsync(stepId);
        await app.Engine().SweepAsync(CancellationToken.None);
        using var reclaim = await app.Client.SendAsync(Post("/runners/jobs/next?wait=20", fresh));
        Assert.Equal(2, JsonDocument.Parse(await reclaim.Content.ReadAsStringAsync()).RootElement.GetProperty("attempt").GetInt32());

        using var heartbeat = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/heartbeat", stale, new { attempt = 1 }));
        using var log = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/log", stale, new { attempt = 1, text = "late" }));
        using var complete = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/complete", stale, new { attempt = 1, outcome = "succeeded" }));
        Assert.Equal([HttpStatusCode.Conflict, HttpStatusCode.Conflict, HttpStatusCode.Conflict], new[] { heartbeat.StatusCode, log.StatusCode, complete.StatusCode });
        Assert.Equal("application/problem+json", complete.Content.Headers.ContentType?.MediaType);
        Assert.Equal(RunStatus.Running, (await app.Engine().GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Heartbeat_answers_cancel_after_the_run_is_canceled()
    {
        await using var app = await StartAsync("runnercancel");
        var token = await RegisterAsync(app, "linux", "docker");
        var run = await app.Engine().StartAsync(Guid.NewGuid(), PipelineTestKit.NoOps("build"));
        using var claim = await app.Client.SendAsync(Post("/runners/jobs/next?wait=20", token));
        var stepId = JsonDocument.Parse(await claim.Content.ReadAsStringAsync()).RootElement.GetProperty("stepId").GetGuid();

        await app.Engine().CancelAsync(run.ProjectId, run.RunId, CancellationToken.None);
        using var heartbeat = await app.Client.SendAsync(Post($"/runners/jobs/{stepId}/heartbeat", token, new { attempt = 1 }));

        Assert.Equal(HttpStatusCode.OK, heartbeat.StatusCode);
        Assert.Contains("\"action\":\"cancel\"", await heartbeat.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_poll_waits_and_answers_204_when_nothing_comes()
    {
        await using var app = await StartAsync("runnerpoll");
        var token = await RegisterAsync(app, "linux", "docker");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await app.Client.SendAsync(Post("/runners/jobs/next?wait=1", token));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"answered after {watch.Elapsed}");
        using var tooLong = await app.Client.SendAsync(Post("/runners/jobs/next?wait=31", token));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
    }

    [Fact]
    public async Task A_step_a_runner_cannot_serve_is_not_handed_to_it()
    {
        await using var app = await StartAsync("runnerlabels");
        var token = await RegisterAsync(app, "linux", "docker");
        var run = await app.Engine().StartAsync(Guid.NewGuid(), new PipelineDefinition([new StepDefinition("gpu", [], Requires: ["cuda"])]));
        await app.Engine().WaitForRunAsync(run, v => v.Steps[0].Status == StepStatus.Queued, TimeSpan.FromSeconds(20));

        using var response = await app.Client.SendAsync(Post("/runners/jobs/next?wait=0", token));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task Bad_credentials_and_bad_input_get_clear_problems()
    {
        await using var app = await StartAsync("runnerauth");
        var token = await RegisterAsync(app, "linux", "docker");

        using var wrongRegistration = await app.Client.PostAsJsonAsync("/runners/register", new { registrationToken = "nope", name = "x" });
        using var noName = await app.Client.PostAsJsonAsync("/runners/register", new { registrationToken = RegistrationToken, name = " " });
        using var noToken = await app.Client.SendAsync(Post("/runners/jobs/next", null));
        using var badToken = await app.Client.SendAsync(Post("/runners/jobs/next", "dmr_forged"));
        using var badOutcome = await app.Client.SendAsync(Post($"/runners/jobs/{Guid.NewGuid()}/complete", token, new { attempt = 1, outcome = "great" }));
        using var unknownStep = await app.Client.SendAsync(Post($"/runners/jobs/{Guid.NewGuid()}/complete", token, new { attempt = 1, outcome = "succeeded" }));
        using var malformed = await app.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, $"/runners/jobs/{Guid.NewGuid()}/heartbeat")
        {
            Content = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"),
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        });

        Assert.Equal(HttpStatusCode.Unauthorized, wrongRegistration.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noName.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, badToken.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badOutcome.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownStep.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var problem = JsonDocument.Parse(await badToken.Content.ReadAsStringAsync());
        Assert.Equal("https://devmentor.dev/problems/unauthorized", problem.RootElement.GetProperty("type").GetString());
        Assert.True(problem.RootElement.TryGetProperty("traceId", out _));
    }

    [Fact]
    public async Task Registration_is_refused_when_no_registration_token_is_configured()
    {
        await using var app = await StartAsync("runnernoreg", registrationToken: null);

        using var response = await app.Client.PostAsJsonAsync("/runners/register", new { registrationToken = "anything-at-all-here", name = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
