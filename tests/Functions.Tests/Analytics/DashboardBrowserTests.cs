using System.Diagnostics;
using DevMentor.Core.Analytics;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>The dashboard in a real headless Chromium against the real executable: no console errors, the seeded numbers on its charts, a screenshot.</summary>
public sealed class DashboardBrowserTests
{
    private const string AdminKey = "dashboard-admin-key-0123456789abcdef";

    [Fact]
    public async Task The_dashboard_shows_the_rolled_up_builds_without_console_errors()
    {
        var directory = Directory.CreateTempSubdirectory("dashboard-real-").FullName;
        var connection = await TestPostgres.CreateDatabaseAsync("dashboardreal");
        await using var service = ServiceProcess.Start(directory, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = connection,
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(directory, "data"),
            ["Auth__BootstrapApiKey"] = AdminKey,
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
            ["Deployments__Worker__Enabled"] = "false",
        });
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));

        using var create = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = new StringContent("""{"name":"Charted"}""", System.Text.Encoding.UTF8, "application/json") };
        create.Headers.Add("X-Api-Key", AdminKey);
        using var created = await service.Client.SendAsync(create);
        var project = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();

        // Three builds yesterday (two succeeded), rolled up here with the service's own code.
        await using var database = new Database();
        database.Open(connection, "test");
        await ExecAsync(database, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, definition, created_at, started_at, finished_at)
            SELECT gen_random_uuid(), @p1, n, CASE WHEN n = 2 THEN 'failed' ELSE 'succeeded' END, 'push', 'main', '{}',
                   date_trunc('day', now()) - interval '12 hours', date_trunc('day', now()) - interval '12 hours', date_trunc('day', now()) - interval '11 hours'
            FROM generate_series(1, 3) n
            """, project);
        await new RollupTimer(new RollupStore(database), new AnalyticsOptions { Settle = TimeSpan.Zero }, NullLogger<RollupTimer>.Instance).RollUpAsync(CancellationToken.None);

        var url = $"{service.BaseAddress}projects/{project}/dashboard#credential={AdminKey}";
        var (dom, log) = await ChromiumAsync("--dump-dom", url);
        Assert.Contains("data-value=\"3\"", dom, StringComparison.Ordinal); // builds per day
        Assert.Contains("Signed in.", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("Uncaught", log, StringComparison.Ordinal);
        Assert.DoesNotContain(":ERROR:CONSOLE", log, StringComparison.Ordinal);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshot.png");
        File.Delete(screenshot);
        await ChromiumAsync($"--screenshot={screenshot}", url);
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.True(png.Length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG screenshot was saved at " + screenshot);
    }

    private static async Task<(string Stdout, string Stderr)> ChromiumAsync(string action, string url)
    {
        var profile = Directory.CreateTempSubdirectory("chromium-profile-").FullName;
        var start = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", "--enable-logging=stderr", "--v=0", "--window-size=1200,1600", "--virtual-time-budget=8000",
            $"--user-data-dir={profile}", action, url,
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (await stdout, await stderr);
    }
}
