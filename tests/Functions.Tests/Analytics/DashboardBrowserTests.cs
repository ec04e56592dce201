using DevMentor.Core.Analytics;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>The dashboard in a real headless Chromium against the real executable: no console errors, the seeded numbers on its charts, a run's status changing live, screenshots.</summary>
public sealed class DashboardBrowserTests
{
    private const string AdminKey = "dashboard-admin-key-0123456789abcdef";

    /// <summary>The real executable with the admin key and no background work but what the page shows; healthy.</summary>
    private static async Task<ServiceProcess> StartServiceAsync(string prefix, string connection, params (string Key, string Value)[] extra)
    {
        var directory = Directory.CreateTempSubdirectory(prefix).FullName;
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = connection,
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(directory, "data"),
            ["Auth__BootstrapApiKey"] = AdminKey,
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
            ["Deployments__Worker__Enabled"] = "false",
        };
        foreach (var (key, value) in extra)
        {
            environment[key] = value;
        }

        var service = ServiceProcess.Start(directory, environment);
        try
        {
            await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
            return service;
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }
    }

    private static async Task<Guid> CreateProjectAsync(ServiceProcess service, string name)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = new StringContent($$"""{"name":"{{name}}"}""", System.Text.Encoding.UTF8, "application/json") };
        create.Headers.Add("X-Api-Key", AdminKey);
        using var created = await service.Client.SendAsync(create);
        return System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
    }

    [Fact]
    public async Task The_dashboard_shows_the_rolled_up_builds_without_console_errors()
    {
        var connection = await TestPostgres.CreateDatabaseAsync("dashboardreal");
        await using var service = await StartServiceAsync("dashboard-real-", connection);
        var project = await CreateProjectAsync(service, "Charted");

        // Three builds yesterday (two succeeded), rolled up here with the service's own code.
        await using var database = new Database();
        database.Open(connection, "test");
        await ExecAsync(database, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, definition, created_at, started_at, finished_at)
            SELECT gen_random_uuid(), @p1, n, CASE WHEN n = 2 THEN 'failed' ELSE 'succeeded' END, 'push', 'main', '{}',
                   date_trunc('day', now()) - interval '12 hours', date_trunc('day', now()) - interval '12 hours', date_trunc('day', now()) - interval '11 hours'
            FROM generate_series(1, 3) n;
            INSERT INTO code_syncs (id, project_id, commit_sha, trigger, status, finished_at)
            VALUES (gen_random_uuid(), @p1, 'k1', 'push', 'succeeded', date_trunc('day', now()) - interval '11 hours');
            INSERT INTO code_commits (project_id, commit_sha, file_count, total_bytes) VALUES (@p1, 'k1', 1, 10);
            INSERT INTO code_blob_metrics (project_id, blob_sha, language, code_lines, comment_lines, blank_lines, methods)
            VALUES (@p1, 'b1', 'C#', 120, 4, 2, '[{"name":"A","line":1,"complexity":4},{"name":"B","line":9,"complexity":2}]');
            INSERT INTO code_files (project_id, commit_sha, path, mode, kind, blob_sha, language) VALUES (@p1, 'k1', 'a.cs', '100644', 'file', 'b1', 'C#');
            """, project);
        await new RollupTimer(new RollupStore(database), new AnalyticsOptions { Settle = TimeSpan.Zero }, NullLogger<RollupTimer>.Instance).RollUpAsync(CancellationToken.None);

        // Over the DevTools protocol: the page keeps a live stream open, so a one-shot --dump-dom would never come.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var page = await ChromiumPage.OpenAsync($"{service.BaseAddress}projects/{project}/dashboard#credential={AdminKey}", timeout.Token);
        var wait = TimeSpan.FromSeconds(30);
        Assert.Equal("true", await page.WaitForAsync("document.querySelector('#chart-builds rect[data-value=\"3\"]') !== null", "true", wait, timeout.Token)); // builds per day
        Assert.Equal("true", await page.WaitForAsync("document.querySelector('#chart-code rect[data-value=\"120\"]') !== null", "true", wait, timeout.Token)); // lines of code
        Assert.Equal("Latest: C# 120 lines", (await page.EvaluateAsync("document.getElementById('code-languages').textContent", timeout.Token))?.ToString());
        Assert.Equal("Signed in.", await page.WaitForAsync("document.getElementById('status').textContent", "Signed in.", wait, timeout.Token));

        var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard-screenshot.png");
        await File.WriteAllBytesAsync(screenshot, await page.ScreenshotAsync(timeout.Token), timeout.Token);
        var png = await File.ReadAllBytesAsync(screenshot, timeout.Token);
        Assert.True(png.Length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG screenshot was saved at " + screenshot);
        Assert.Empty(page.Errors);
    }

    [Fact]
    public async Task A_run_s_status_changes_on_the_page_while_it_runs()
    {
        var connection = await TestPostgres.CreateDatabaseAsync("dashboardlive");
        await using var service = await StartServiceAsync("dashboard-live-", connection, ("Analytics__RunEventsPollMilliseconds", "100"));
        var project = await CreateProjectAsync(service, "Live");

        // A run the page finds queued; the test then moves it as a runner would, and the page must follow without a reload.
        await using var database = new Database();
        database.Open(connection, "test");
        await ExecAsync(database, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, definition, created_at)
            VALUES ('00000000-0000-0000-0000-00000000000e', @p1, 1, 'queued', 'push', 'main', '{}', now() - interval '1 minute')
            """, project);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await using var page = await ChromiumPage.OpenAsync($"{service.BaseAddress}projects/{project}/dashboard#credential={AdminKey}", timeout.Token);
        const string status = "document.querySelector('tr[data-run] td.status')?.textContent ?? ''";
        var wait = TimeSpan.FromSeconds(30);
        Assert.Equal("queued", await page.WaitForAsync(status, "queued", wait, timeout.Token));

        await ExecAsync(database, "UPDATE pipeline_runs SET status = 'running', started_at = clock_timestamp() WHERE number = 1 AND project_id = @p1", project);
        Assert.Equal("running", await page.WaitForAsync(status, "running", wait, timeout.Token));
        await ExecAsync(database, "UPDATE pipeline_runs SET status = 'succeeded', finished_at = clock_timestamp() WHERE number = 1 AND project_id = @p1", project);
        Assert.Equal("succeeded", await page.WaitForAsync(status, "succeeded", wait, timeout.Token));

        Assert.Equal("queued running succeeded", (await page.EvaluateAsync("document.querySelector('tr[data-run]').dataset.history", timeout.Token))?.ToString());
        Assert.Equal("Build #1 is now succeeded.", (await page.EvaluateAsync("document.getElementById('run-status').textContent", timeout.Token))?.ToString());
        Assert.Equal("Signed in.", (await page.EvaluateAsync("document.getElementById('status').textContent", timeout.Token))?.ToString());
        var screenshot = Path.Combine(AppContext.BaseDirectory, "dashboard-live-screenshot.png");
        await File.WriteAllBytesAsync(screenshot, await page.ScreenshotAsync(timeout.Token), timeout.Token);
        Assert.Empty(page.Errors);
    }
}
