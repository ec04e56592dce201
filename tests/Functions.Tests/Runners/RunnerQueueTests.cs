using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Runners;

/// <summary>
/// What the runners' autoscaler reads (GET /runners/queue with the registration token) and the runner's side of
/// scaling to zero (Runner:ExitWhenIdleSeconds), as infra/bicep's runner job uses them.
/// </summary>
public sealed class RunnerQueueTests
{
    private const string RegistrationToken = "queue-registration-token-0123456789";

    private static HttpRequestMessage Get(string? bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/runners/queue");
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    [Fact]
    public async Task The_queue_counts_claimable_steps_per_required_label_and_the_oldest_wait_for_the_registration_token_only()
    {
        await using var app = await PipelineTestKit.StartAppAsync("runnerqueue", new Dictionary<string, string?> { ["Runners:RegistrationToken"] = RegistrationToken });
        using (var empty = await app.Client.SendAsync(Get(RegistrationToken)))
        {
            Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
            Assert.Equal("""{"queued":0,"oldestWaitingSeconds":0,"byLabel":{}}""", await empty.Content.ReadAsStringAsync());
        }

        var docker = new PipelineDefinition([new StepDefinition("build", [], Requires: ["docker", "linux"])]);
        foreach (var definition in new[] { docker, docker, PipelineTestKit.NoOps("any") })
        {
            var run = await app.Engine().StartAsync(Guid.NewGuid(), definition);
            await app.Engine().WaitForRunAsync(run, v => v.Steps[0].Status == StepStatus.Queued, TimeSpan.FromSeconds(20));
        }

        await Task.Delay(300);

        using var response = await app.Client.SendAsync(Get(RegistrationToken));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, body.RootElement.GetProperty("queued").GetInt32());
        Assert.InRange(body.RootElement.GetProperty("oldestWaitingSeconds").GetDouble(), 0.2, 60);
        Assert.Equal(2, body.RootElement.GetProperty("byLabel").GetProperty("docker").GetInt32());
        Assert.Equal(2, body.RootElement.GetProperty("byLabel").GetProperty("linux").GetInt32());

        // Claimed steps are no longer waiting.
        Assert.NotNull(await app.Engine().TryClaimAsync("runner:test", ["linux", "docker"], CancellationToken.None));
        using (var after = await app.Client.SendAsync(Get(RegistrationToken)))
        {
            using var afterBody = JsonDocument.Parse(await after.Content.ReadAsStringAsync());
            Assert.Equal(2, afterBody.RootElement.GetProperty("queued").GetInt32());
        }

        foreach (var wrong in new[] { null, "", "not-the-token", RegistrationToken + "x" })
        {
            using var refused = await app.Client.SendAsync(Get(wrong));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
    }

    [Fact]
    public async Task Without_a_registration_token_the_queue_is_not_served()
    {
        await using var app = await PipelineTestKit.StartAppAsync("runnerqueueoff");
        using var response = await app.Client.SendAsync(Get("anything"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_runner_with_ExitWhenIdleSeconds_exits_cleanly_once_no_step_came_for_that_long()
    {
        // A stand-in service whose queue stays empty: every claim answers 204 No Content.
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var server = builder.Build();
        var claims = 0;
        server.MapPost("/runners/jobs/next", () =>
        {
            Interlocked.Increment(ref claims);
            return Results.NoContent();
        });
        await server.StartAsync();
        var address = new Uri(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");

        var watch = Stopwatch.StartNew();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { RunnerProcess.ExecutablePath, $"--Runner:Server={address}", "--Runner:Token=dmr_test", "--Runner:ExitWhenIdleSeconds=2",
                     $"--Runner:WorkDirectory={Path.Combine(TestPostgres.ScratchRoot, "idle-" + Guid.NewGuid().ToString("N")[..8])}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var runner = Process.Start(start)!;
        var output = runner.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await runner.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, runner.ExitCode);
        Assert.Contains("Runner:ExitWhenIdleSeconds", await output, StringComparison.Ordinal);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"exited after {watch.Elapsed}");
        Assert.True(claims >= 1, "the runner never asked for a step");
    }
}
