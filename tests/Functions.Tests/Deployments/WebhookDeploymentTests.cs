using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Deployments;

/// <summary>The webhook target against a real local HTTP listener, and automatic deploys after green runs.</summary>
public sealed class WebhookDeploymentTests : IAsyncLifetime
{
    private DeploymentTestKit _kit = null!;
    private FakeRepositoryHost _hook = null!;

    public async Task InitializeAsync()
    {
        _kit = await DeploymentTestKit.StartAsync("webhookdeploy");
        _hook = await FakeRepositoryHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _kit.DisposeAsync();
        await _hook.DisposeAsync();
    }

    private object Hook(string name = "production", object? when = null, string? secret = "HOOK_SECRET") =>
        new { name, type = "webhook", url = new Uri(_hook.BaseAddress, "deploy-hook?token=abc").ToString(), secretRef = secret, when };

    private static void AssertSigned(FakeRepositoryHost.Call call)
    {
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(DeploymentTestKit.HookSecret), Encoding.UTF8.GetBytes(call.Body)));
        Assert.Equal(expected, call.Headers["X-DevMentor-Signature-256"]);
        Assert.Equal("deployment", call.Headers["X-DevMentor-Event"]);
    }

    [Fact]
    public async Task The_webhook_receives_a_correctly_signed_notice_after_a_server_error_is_retried()
    {
        var project = await _kit.CreateProjectAsync();
        var run = await _kit.RunAsync(project, new[] { Hook() });
        _hook.FailNext(1);

        var deployment = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "production", null)).GetProperty("statusUri").GetString()!);

        Assert.Equal("current", deployment.GetProperty("status").GetString());
        Assert.Equal("webhook", deployment.GetProperty("target").GetString());
        Assert.DoesNotContain("token", deployment.GetProperty("url").GetString(), StringComparison.Ordinal);
        var calls = await _hook.WaitForCallsAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(calls[0].Body, calls[1].Body);
        var call = calls[1];
        Assert.Equal("POST", call.Method);
        Assert.Equal("/deploy-hook?token=abc", call.PathAndQuery);
        AssertSigned(call);
        using var notice = JsonDocument.Parse(call.Body);
        Assert.Equal(deployment.GetProperty("deploymentId").GetGuid(), notice.RootElement.GetProperty("deploymentId").GetGuid());
        Assert.Equal(call.Headers["X-DevMentor-Delivery"], notice.RootElement.GetProperty("deploymentId").GetString());
        Assert.Equal(run.RunId, notice.RootElement.GetProperty("runId").GetGuid());
        Assert.Equal(run.Number, notice.RootElement.GetProperty("runNumber").GetInt32());
        Assert.Equal("production", notice.RootElement.GetProperty("environment").GetString());
        Assert.Equal("0123456789abcdef0123456789abcdef01234567", notice.RootElement.GetProperty("commit").GetString());
    }

    [Fact]
    public async Task A_missing_signing_secret_fails_the_deployment_without_sending_anything()
    {
        var project = await _kit.CreateProjectAsync();
        await _kit.RunAsync(project, new[] { Hook(secret: "NOT_CONFIGURED") });

        var deployment = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "production", null)).GetProperty("statusUri").GetString()!);

        Assert.Equal("failed", deployment.GetProperty("status").GetString());
        Assert.Contains("NOT_CONFIGURED", deployment.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(_hook.Calls);
    }

    [Fact]
    public async Task Green_runs_deploy_automatically_when_asked_or_when_an_environment_matches_but_red_ones_never()
    {
        var project = await _kit.CreateProjectAsync();
        var environments = new[] { Hook("on-main", when: new { branches = new[] { "main" } }), Hook("elsewhere", when: new { branches = new[] { "release/*" } }), Hook("asked") };

        var matched = await _kit.RunAsync(project, environments);
        var asked = await _kit.RunAsync(project, environments, deploy: true, environment: "asked");
        await _kit.RunAsync(project, environments, succeed: false, deploy: true, environment: "asked");

        var calls = await _hook.WaitForCallsAsync(3, TimeSpan.FromSeconds(30));
        await Task.Delay(1000); // nothing more may arrive (the failed run, a second look at the same runs)
        Assert.Equal(3, _hook.Calls.Count);
        var notices = calls.Select(c => JsonDocument.Parse(c.Body).RootElement).ToList();
        Assert.All(notices, n => Assert.Equal("auto", n.GetProperty("trigger").GetString()));
        Assert.Equal(
            new[] { ("asked", asked.RunId), ("on-main", asked.RunId), ("on-main", matched.RunId) }.Order(),
            notices.Select(n => (n.GetProperty("environment").GetString()!, n.GetProperty("runId").GetGuid())).Order());
        calls.ToList().ForEach(AssertSigned);
    }

    /// <summary>
    /// A cancel while the deploy stage's notice waits for its answer (ADR 0044): the request is abandoned and never
    /// retried, the deployment ends canceled. The worker works one deployment at a time, so once a later deployment is
    /// current, the canceled one's work is over: its notice was sent exactly once.
    /// </summary>
    [Fact]
    public async Task A_cancel_while_the_deploy_stage_notice_waits_for_its_answer_abandons_it_without_a_retry()
    {
        var project = await _kit.CreateProjectAsync();
        using var answer = new ManualResetEventSlim();
        _hook.Handler = call => call.PathAndQuery.StartsWith("/slow-hook", StringComparison.Ordinal) && answer.Wait(TimeSpan.FromSeconds(30)) ? (503, "{}") : null;
        var slow = new { name = "slow", type = "webhook", url = new Uri(_hook.BaseAddress, "slow-hook").ToString(), secretRef = "HOOK_SECRET" };
        var environments = new[] { slow, new { name = "fast", type = "webhook", url = new Uri(_hook.BaseAddress, "deploy-hook").ToString(), secretRef = "HOOK_SECRET" } };
        var green = await _kit.RunAsync(project, environments);
        var run = await _kit.StartRunAsync(project, environments, deploy: true, environment: "slow");
        try
        {
            await _hook.WaitForCallsAsync(1, TimeSpan.FromSeconds(60));
            using (var cancel = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/builds/{run.RunId}/cancel", DeploymentTestKit.Developer))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, cancel.StatusCode);
            }

            var ended = await _kit.App.Engine().WaitForRunAsync(run, v => v.Status.IsTerminal() && v.Events.Any(e => e.Type == "deployment.canceled"), TimeSpan.FromSeconds(10));
            Assert.Equal(RunStatus.Canceled, ended.Status);
            var canceled = Assert.Single(ended.Events, e => e.Type == "deployment.canceled").Data!.Value;
            Assert.Equal(("deploying", "webhook", DeploymentTestKit.Developer), (canceled.GetProperty("was").GetString(), canceled.GetProperty("target").GetString(), canceled.GetProperty("by").GetString()));

            var next = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "fast", green.RunId)).GetProperty("statusUri").GetString()!);
            Assert.Equal("current", next.GetProperty("status").GetString());
            Assert.Single(_hook.Calls, c => c.PathAndQuery == "/slow-hook");
            using var response = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments/{canceled.GetProperty("deploymentId").GetGuid()}", DeploymentTestKit.Viewer);
            Assert.Equal("canceled", (await DeploymentTestKit.JsonAsync(response)).GetProperty("status").GetString());
        }
        finally
        {
            answer.Set();
        }
    }
}
