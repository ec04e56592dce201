using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.HostedGit;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;
using Npgsql;

namespace DevMentor.Functions.Tests.Creation;

/// <summary>
/// The real executable SIGKILLed in the middle of a hosted creation (its dependencies step running), then started
/// again with the same settings: the Durable flow resumes from the step reached and ends with one project, one
/// repository, one initial commit and one first build, which goes green.
/// </summary>
public sealed class CreationKillTests
{
    private const string Owner = HostedGitKit.Owner;

    [Fact]
    public async Task A_service_killed_with_SIGKILL_mid_creation_finishes_the_flow_after_restart_with_one_repository_and_a_green_first_build()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("create_sigkill");
        var scratch = PipelineTestKit.NewScratchDirectory("create-sigkill");
        var hosted = Path.Combine(scratch, "hosted");
        // go, except that its first call hangs (writing its pid): the kill comes while the dependencies step waits on it.
        var go = Path.Combine(scratch, "go");
        var marker = Path.Combine(scratch, "hung");
        var real = new[] { "/usr/bin/go", "/usr/local/go/bin/go" }.First(File.Exists);
        File.WriteAllText(go, $"#!/bin/sh\nif [ ! -e {marker} ]; then echo $$ > {marker}; exec sleep 300; fi\nexec {real} \"$@\"\n");
        File.SetUnixFileMode(go, (UnixFileMode)0x1ED); // 0755
        var environment = TestAuth.Settings(
                ("ConnectionStrings:Postgres", connectionString),
                ("DEVMENTOR_DATA_DIR", Path.Combine(scratch, "data")),
                ("HostedGit:Directory", hosted),
                ("Creation:GoPath", go),
                ("Pipelines:Runner:Workers", "1"),
                ("Pipelines:HeartbeatSeconds", "0.5"),
                ("Pipelines:PollIntervalSeconds", "0.1"),
                ("Deployments:Worker:Enabled", "false"),
                // A killed instance's activity message comes back after this long (the default is 30 s).
                ("Durable:VisibilityTimeoutSeconds", "5"),
                ("Durable:LeaseSeconds", "5"))
            .ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value);

        try
        {
            Guid id;
            await using (var first = ServiceProcess.Start(scratch, environment))
            {
                await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
                var body = JsonSerializer.Serialize(new { name = "killed-" + Guid.NewGuid().ToString("N")[..6], template = "go-http", repository = new { provider = "hosted" } });
                using (var accepted = await first.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, body)))
                {
                    var text = await accepted.Content.ReadAsStringAsync();
                    Assert.True(accepted.StatusCode == HttpStatusCode.Accepted, text);
                    id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
                }

                var deadline = DateTime.UtcNow.AddSeconds(90);
                while (!File.Exists(marker) || File.ReadAllText(marker).Trim().Length == 0)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"the dependencies step never ran go:\n{first.Output}");
                    await Task.Delay(100);
                }

                var running = await GetJsonAsync(first, $"/projects/{id}/creation");
                Assert.Equal("running", CreationTests.Step(running, "dependencies").GetProperty("state").GetString());
                first.Kill();
                await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }

            await using var second = ServiceProcess.Start(scratch, environment);
            await second.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
            var creation = await WaitForAsync(second, $"/projects/{id}/creation", c => c.GetProperty("status").GetString() != "running", TimeSpan.FromMinutes(3));
            Assert.True(creation.GetProperty("status").GetString() == "succeeded", creation.GetRawText());
            Assert.Equal([1, 1, 2, 1, 1], creation.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("attempts").GetInt32()));
            var run = await WaitForAsync(second, $"/projects/{id}/builds/{creation.GetProperty("firstBuildId").GetGuid()}",
                r => r.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled" or "timed_out", TimeSpan.FromMinutes(3));
            Assert.True(run.GetProperty("status").GetString() == "succeeded", run.GetRawText());

            // Exactly one of everything: project, repository, initial commit, first build.
            Assert.Equal(1L, await ScalarAsync(connectionString, "SELECT count(*) FROM projects"));
            Assert.Single(Directory.GetDirectories(hosted));
            Assert.Equal("1", GitCommand.Ok(Directory.GetDirectories(hosted)[0], "rev-list", "--count", "main"));
            var builds = await GetJsonAsync(second, $"/projects/{id}/builds");
            Assert.Single(builds.GetProperty("items").EnumerateArray());
        }
        finally
        {
            // The hung stand-in outlives the killed service (an orphan): ended here whatever happened.
            KillHungGo(marker);
        }
    }

    private static void KillHungGo(string marker)
    {
        if (File.Exists(marker) && int.TryParse(File.ReadAllText(marker).Trim(), out var pid))
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

    private static async Task<JsonElement> GetJsonAsync(ServiceProcess service, string url)
    {
        using var response = await service.Client.SendAsync(TestAuth.Request(HttpMethod.Get, url, Owner));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static async Task<JsonElement> WaitForAsync(ServiceProcess service, string url, Func<JsonElement, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var json = await GetJsonAsync(service, url);
            if (done(json))
            {
                return json;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} after {timeout}: {json.GetRawText()}\n{service.Output[^Math.Min(4000, service.Output.Length)..]}");
            await Task.Delay(200);
        }
    }

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
