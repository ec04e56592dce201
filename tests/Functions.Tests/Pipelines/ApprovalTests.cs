using System.Net;
using System.Text.Json;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Analytics;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>
/// Deployment approvals end to end: a run whose clone declared an environment with <c>approval: required</c> waits,
/// visibly, after its last step; only the environment's approvers may approve or reject (with a comment), and an
/// approval not given in time fails the run. The test plays the runner; the orchestration and the API are real.
/// </summary>
public sealed class ApprovalTests : IAsyncLifetime
{
    private const string Owner = "owner-1";
    private const string Maintainer = "maint-1";
    private const string Developer = "dev-1";
    private const string Viewer = "viewer-1";
    private const string Stranger = "stranger-1";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private TestApp _app = null!;
    private HookReceiver _deployHook = null!;

    public async Task InitializeAsync()
    {
        // Where prod's webhook deployment goes once approved: the deploy stage that follows the approval.
        _deployHook = await HookReceiver.StartAsync();
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("approvals"), NotificationTests.With(NotificationTests.Settings(),
            ("Pipelines:Runner:Enabled", "false"), ("Pipelines:PollIntervalSeconds", "0.1"), ("Deployments:PollMilliseconds", "100")));
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _deployHook.DisposeAsync();
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? user, string? json = null) =>
        _app.Client.SendAsync(TestAuth.Request(method, url, user, json));

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<Guid> CreateProjectAsync()
    {
        using var response = await SendAsync(HttpMethod.Post, "/projects", Owner, JsonSerializer.Serialize(new { name = "p-" + Guid.NewGuid().ToString("N")[..8], visibility = "private" }));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await JsonAsync(response)).GetProperty("id").GetGuid();
        foreach (var (user, role) in new[] { (Maintainer, "maintainer"), (Developer, "developer"), (Viewer, "viewer") })
        {
            using var added = await SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/{user}", Owner, JsonSerializer.Serialize(new { role }));
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        }

        return id;
    }

    /// <summary>A run deploying to "prod" (approval required, approvers as given), played up to its approval.</summary>
    private async Task<StartedRun> RunToApprovalAsync(Guid project, object approval)
    {
        var engine = _app.Engine();
        var run = await engine.StartAsync(new StartRunRequest(project, "manual", "main", "abc1234", PipelineTestKit.NoOps("clone", "build"), Deploy: true, Environment: "prod"), CancellationToken.None);
        var environments = JsonSerializer.Serialize(new[] { new { name = "prod", type = "webhook", url = _deployHook.Url + "/deploy", approval } });
        var clone = await engine.ClaimAsync("runner");
        await engine.CompleteAsync(clone.StepId, clone.Attempt, "runner", StepResult.Success(new Dictionary<string, string> { ["deploy.environments"] = environments }), CancellationToken.None);
        var build = await engine.ClaimAsync("runner");
        await engine.CompleteAsync(build.StepId, build.Attempt, "runner", StepResult.Success(), CancellationToken.None);
        await engine.WaitForRunAsync(run, v => v.WaitingApproval is not null, Wait);
        return run;
    }

    private async Task<JsonElement> BuildAsync(StartedRun run, string user)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/projects/{run.ProjectId}/builds/{run.RunId}", user);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    [Fact]
    public async Task A_run_waits_visibly_and_only_an_approver_may_approve_it_then_it_succeeds()
    {
        await using var hooks = await HookReceiver.StartAsync();
        var project = await CreateProjectAsync();
        await NotificationTests.AddTargetAsync(_app, project, $$"""{"kind":"slack","target":"{{hooks.Url}}/slack","events":["approval.needed"]}""", Owner);
        var run = await RunToApprovalAsync(project, new { approvers = new[] { "maintainer" }, timeoutSeconds = 600 });

        // "Approval needed" reaches the project's targets, naming the environment and who may approve.
        var notice = JsonDocument.Parse((await hooks.NextAsync()).Body).RootElement;
        var text = notice.GetProperty("text").GetString()!;
        Assert.StartsWith("[p-", text, StringComparison.Ordinal);
        Assert.EndsWith($"] Build #{run.Number} waits for approval to deploy to prod (approvers: maintainer)", text, StringComparison.Ordinal);
        var waiting = await BuildAsync(run, Viewer);
        Assert.Equal("waiting_for_approval", waiting.GetProperty("status").GetString());
        Assert.Equal("deploy:prod", waiting.GetProperty("currentStage").GetString());
        var waitingFor = waiting.GetProperty("waitingFor");
        Assert.Equal(("prod", "waiting"), (waitingFor.GetProperty("environment").GetString(), waitingFor.GetProperty("status").GetString()));
        Assert.Equal(["maintainer"], waitingFor.GetProperty("approvers").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal("approval", waiting.GetProperty("orchestration").GetProperty("waiting").GetString());

        var approve = $"/projects/{project}/builds/{run.RunId}/approve";
        foreach (var (user, expected) in new[] { (Viewer, HttpStatusCode.Forbidden), (Developer, HttpStatusCode.Forbidden), (Stranger, HttpStatusCode.NotFound), ((string?)null, HttpStatusCode.Unauthorized) })
        {
            using var refused = await SendAsync(HttpMethod.Post, approve, user, """{"comment":"lgtm"}""");
            Assert.Equal(expected, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        using var malformed = await SendAsync(HttpMethod.Post, approve, Maintainer, """{"comment":""" );
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using var wrongEnvironment = await SendAsync(HttpMethod.Post, approve, Maintainer, """{"environment":"staging"}""");
        Assert.Equal(HttpStatusCode.Conflict, wrongEnvironment.StatusCode);
        Assert.Equal(RunStatus.Running, (await _app.Engine().GetRunAsync(project, run.RunId, CancellationToken.None))!.Status);

        using var approved = await SendAsync(HttpMethod.Post, approve, Maintainer, """{"comment":"ship it"}""");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var view = await _app.Engine().WaitForEndAsync(run, Wait);

        Assert.Equal(RunStatus.Succeeded, view.Status);
        var decided = Assert.Single(view.Approvals!);
        Assert.Equal(("approved", Maintainer, "ship it"), (decided.Status, decided.DecidedBy, decided.Comment));
        // Approved, then deployed as the run's deploy stage: the webhook took the notice before the run succeeded.
        var events = view.Events.Where(e => e.Type.StartsWith("approval.", StringComparison.Ordinal) || e.Type.StartsWith("deployment.", StringComparison.Ordinal)).ToList();
        Assert.Equal(["approval.requested", "approval.approved", "deployment.queued", "deployment.started", "deployment.succeeded"], events.Select(e => e.Type));
        Assert.Equal(Maintainer, events[1].Data!.Value.GetProperty("by").GetString());
        Assert.Equal("deploy:prod", events[4].Step);
        var deployed = JsonDocument.Parse((await _deployHook.NextAsync()).Body).RootElement;
        Assert.Equal(("prod", run.RunId.ToString(), "auto"), (deployed.GetProperty("environment").GetString(), deployed.GetProperty("runId").GetString(), deployed.GetProperty("trigger").GetString()));
        using var again = await SendAsync(HttpMethod.Post, approve, Owner);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        // The project's activity feed says who approved which deployment.
        using var feed = await SendAsync(HttpMethod.Get, $"/projects/{project}/activity?limit=100", Viewer);
        var approvedEntry = Assert.Single((await JsonAsync(feed)).GetProperty("items").EnumerateArray(), e => e.GetProperty("kind").GetString() == "approved");
        Assert.Equal(Maintainer, approvedEntry.GetProperty("actor").GetString());
        Assert.Equal(("prod", run.Number), (approvedEntry.GetProperty("detail").GetProperty("environment").GetString(), approvedEntry.GetProperty("detail").GetProperty("run").GetInt32()));
    }

    [Fact]
    public async Task A_rejection_with_a_comment_fails_the_run_and_owner_only_approvals_refuse_maintainers()
    {
        var project = await CreateProjectAsync();
        var run = await RunToApprovalAsync(project, new { approvers = new[] { "owner" }, timeoutSeconds = 600 });

        using var maintainer = await SendAsync(HttpMethod.Post, $"/projects/{project}/builds/{run.RunId}/reject", Maintainer);
        Assert.Equal(HttpStatusCode.Forbidden, maintainer.StatusCode);
        using var rejected = await SendAsync(HttpMethod.Post, $"/projects/{project}/builds/{run.RunId}/reject", Owner, """{"environment":"prod","comment":"not on a Friday"}""");
        Assert.Equal(HttpStatusCode.OK, rejected.StatusCode);

        var view = await _app.Engine().WaitForEndAsync(run, Wait);
        Assert.Equal(RunStatus.Failed, view.Status);
        Assert.Equal($"the deployment to prod was rejected by {Owner}: not on a Friday", (await BuildAsync(run, Viewer)).GetProperty("error").GetString());
        Assert.Equal("rejected", Assert.Single(view.Approvals!).Status);
        Assert.DoesNotContain(view.Events, e => e.Type.StartsWith("deployment.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_approval_not_given_in_time_fails_the_run()
    {
        var project = await CreateProjectAsync();
        var run = await RunToApprovalAsync(project, new { timeoutSeconds = 2 });

        var view = await _app.Engine().WaitForEndAsync(run, Wait);

        Assert.Equal(RunStatus.Failed, view.Status);
        Assert.Equal("expired", Assert.Single(view.Approvals!).Status);
        Assert.Contains(view.Events, e => e.Type == "approval.expired");
        Assert.StartsWith("the approval to deploy to prod was not given within", (await BuildAsync(run, Viewer)).GetProperty("error").GetString(), StringComparison.Ordinal);
        using var late = await SendAsync(HttpMethod.Post, $"/projects/{project}/builds/{run.RunId}/approve", Owner);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }
}
