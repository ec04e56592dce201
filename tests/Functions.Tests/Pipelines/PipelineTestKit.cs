using DevMentor.Core.Data;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>Shortcuts for pipeline tests: an app with short leases and backoffs, definitions, polling.</summary>
internal static class PipelineTestKit
{
    public static async Task<TestApp> StartAppAsync(string purpose, IDictionary<string, string?>? settings = null, string? connectionString = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Pipelines:Runner:Enabled"] = "false",
            ["Pipelines:LeaseSeconds"] = "30",
            ["Pipelines:HeartbeatSeconds"] = "0.2",
            ["Pipelines:Retry:FirstDelaySeconds"] = "0.2",
            ["Pipelines:PollIntervalSeconds"] = "0.1",
            ["Pipelines:MaxRunningRunsPerProject"] = "100",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return await TestApp.StartAsync(connectionString ?? await TestPostgres.CreateDatabaseAsync(purpose), values);
    }

    public static PipelineEngine Engine(this TestApp app) => app.Services.GetRequiredService<PipelineEngine>();

    public static NpgsqlDataSource Data(this TestApp app) => app.Services.GetRequiredService<Database>().DataSource;

    public static PipelineDefinition Steps(params (string Name, string[][] Commands)[] steps) =>
        new(steps.Select(s => new StepDefinition(s.Name, s.Commands.Select(c => (IReadOnlyList<string>)c).ToList())).ToList());

    public static PipelineDefinition NoOps(params string[] names) => new(names.Select(n => new StepDefinition(n, [])).ToList());

    public static Task<StartedRun> StartAsync(this PipelineEngine engine, Guid projectId, PipelineDefinition definition, string? idempotencyKey = null) =>
        engine.StartAsync(new StartRunRequest(projectId, "manual", "main", "abc123", definition, IdempotencyKey: idempotencyKey), CancellationToken.None);

    public static async Task<RunView> WaitForRunAsync(this PipelineEngine engine, StartedRun run, Func<RunView, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var view = (await engine.GetRunAsync(run.ProjectId, run.RunId, CancellationToken.None))!;
            if (condition(view))
            {
                return view;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Run {run.Number} did not reach the expected state within {timeout}: {view.Status.ToWire()}, steps {string.Join(", ", view.Steps.Select(s => $"{s.Name}={s.Status.ToWire()}/{s.Attempt}"))}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Claims a step, waiting for one (the run's orchestration queues each step shortly after the previous one's outcome).</summary>
    public static async Task<ClaimedStep> ClaimAsync(this PipelineEngine engine, string owner, IReadOnlyList<string>? labels = null, double seconds = 20)
    {
        var step = await engine.ClaimAsync(owner, labels ?? ["linux"], TimeSpan.FromSeconds(seconds), CancellationToken.None);
        return step ?? throw new TimeoutException($"no step became claimable for {owner} within {seconds} s");
    }

    public static Task<RunView> WaitForEndAsync(this PipelineEngine engine, StartedRun run, TimeSpan timeout) =>
        engine.WaitForRunAsync(run, v => v.Status.IsTerminal(), timeout);

    /// <summary>Expires a step's lease now, as if its runner had died a lease ago.</summary>
    public static async Task ExpireLeaseAsync(this TestApp app, Guid stepId)
    {
        await using var command = app.Data().CreateCommand("UPDATE pipeline_steps SET lease_expires_at = now() - interval '1 second' WHERE id = $1");
        command.Parameters.AddWithValue(stepId);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    /// <summary>
    /// A scratch directory steps may write to (the sandbox's Pipelines:Runner:WritablePaths, open to
    /// the step user): how a test watches commands from outside their workspace.
    /// </summary>
    public static string NewSharedDirectory(string name)
    {
        var path = NewScratchDirectory(name);
        File.SetUnixFileMode(path, (UnixFileMode)0x1FF); // 0777
        return path;
    }

    public static string NewScratchDirectory(string name)
    {
        var path = Path.Combine(TestPostgres.ScratchRoot, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        return path;
    }
}
