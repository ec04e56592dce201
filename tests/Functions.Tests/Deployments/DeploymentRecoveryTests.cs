using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Deployments;

/// <summary>An accepted deployment survives the instance that accepted it: pending ones and ones a crash left half-done are worked by the next start.</summary>
public sealed class DeploymentRecoveryTests : IAsyncLifetime
{
    private DeploymentTestKit _kit = null!;
    private FakeRepositoryHost _hook = null!;

    public async Task InitializeAsync()
    {
        _kit = await DeploymentTestKit.StartAsync("deployrecovery");
        _hook = await FakeRepositoryHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _kit.DisposeAsync();
        await _hook.DisposeAsync();
    }

    [Fact]
    public async Task Pending_and_interrupted_deployments_are_finished_by_the_next_start()
    {
        await _kit.App.DisposeAsync();
        _kit.App = await _kit.StartAppAsync(worker: false);
        var project = await _kit.CreateProjectAsync();
        await _kit.RunAsync(project, new[] { new { name = "production", type = "webhook", url = new Uri(_hook.BaseAddress, "hook").ToString(), secretRef = "HOOK_SECRET" } });
        var first = await _kit.DeployAsync(project, "production", null);
        var second = await _kit.DeployAsync(project, "production", null);

        // No worker here: both stay accepted. Then the second one looks like a crash hit it mid-deployment.
        await Task.Delay(300);
        await using (var crash = _kit.App.Data().CreateCommand("UPDATE deployments SET status = 'deploying', started_at = now() WHERE id = $1"))
        {
            crash.Parameters.AddWithValue(second.GetProperty("deploymentId").GetGuid());
            Assert.Equal(1, await crash.ExecuteNonQueryAsync());
        }

        Assert.Empty(_hook.Calls);
        await _kit.App.DisposeAsync();
        _kit.App = await _kit.StartAppAsync();

        // The second finishes after the first (oldest first), so once it has, the first has been superseded.
        await _kit.WaitForDeploymentAsync(second.GetProperty("statusUri").GetString()!);
        var done = new[]
        {
            await _kit.WaitForDeploymentAsync(first.GetProperty("statusUri").GetString()!),
            await _kit.WaitForDeploymentAsync(second.GetProperty("statusUri").GetString()!),
        };
        Assert.Equal(["superseded", "current"], done.Select(d => d.GetProperty("status").GetString()));
        var calls = await _hook.WaitForCallsAsync(2, TimeSpan.FromSeconds(10));
        Assert.Equal(2, calls.Count);
        // The delivery id is the deployment's own (the row's id, kept when a restart re-queues it): a notice sent again
        // after a kill carries the same X-DevMentor-Delivery as the one the killed instance may have sent, for receivers to dedupe.
        Assert.Equal([first.GetProperty("deploymentId").GetString(), second.GetProperty("deploymentId").GetString()], calls.Select(c => c.Headers["X-DevMentor-Delivery"]));
    }
}
