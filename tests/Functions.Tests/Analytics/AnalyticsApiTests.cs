using System.Net;
using System.Text.Json;
using DevMentor.Core.Analytics;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>GET /projects/{id}/analytics and GET /analytics/usage: shapes, CSV, who may read them, bad input.</summary>
public sealed class AnalyticsApiTests : IAsyncLifetime
{
    private TestApp _app = null!;
    private Guid _project;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("analytics-api"), TestAuth.Settings(("Analytics:SettleSeconds", "0")));
        using var created = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice", """{"name":"Stats","visibility":"internal"}"""));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        _project = JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
        var db = _app.Services.GetRequiredService<Database>();
        await SeedAsync(db, _project);
        await _app.Services.GetRequiredService<RollupTimer>().RollUpAsync(CancellationToken.None);
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body, string? ContentType)> GetAsync(string url, string? user, bool admin = false, string? accept = null)
    {
        using var request = TestAuth.Request(HttpMethod.Get, url, user, admin: admin);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        using var response = await _app.Client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Members_get_the_requested_metric_sets_as_stable_json()
    {
        var (status, body, _) = await GetAsync($"/projects/{_project}/analytics?granularity=hour&from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z&metrics=builds,dora", "alice");
        Assert.True(status == HttpStatusCode.OK, body);
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal(_project, root.GetProperty("projectId").GetGuid());
        Assert.Equal("hour", root.GetProperty("granularity").GetString());
        Assert.False(root.TryGetProperty("tests", out _));
        var build = root.GetProperty("builds")[0];
        Assert.Equal("2026-01-05T10:00:00+00:00", build.GetProperty("periodStart").GetString());
        Assert.Equal(3, build.GetProperty("runs").GetInt32());
        Assert.Equal(174000, build.GetProperty("durationP95Ms").GetDouble(), 3);
        var dora = root.GetProperty("dora");
        Assert.Equal(3, dora.GetArrayLength());
        Assert.Equal(0.5, dora[1].GetProperty("changeFailureRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, dora[2].GetProperty("leadTimeP50Seconds").ValueKind); // null is written, not left out
    }

    [Fact]
    public async Task Csv_on_accept_holds_one_metric_set()
    {
        var (status, body, type) = await GetAsync($"/projects/{_project}/analytics?granularity=day&from=2026-01-05&to=2026-01-06&metrics=tests", "alice", accept: "text/csv");
        Assert.True(status == HttpStatusCode.OK, body);
        Assert.Equal("text/csv", type);
        var lines = body.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("periodStart,runs,passed,failed,skipped,passRate,newFailures,flakyTests,lineCoverage", lines[0]);
        Assert.StartsWith($"2026-01-05T00:00:00Z,3,28,2,3,{28.0 / 30:R},2,1,", lines[1], StringComparison.Ordinal);
        Assert.Equal(0.8, double.Parse(lines[1].Split(',')[^1], System.Globalization.CultureInfo.InvariantCulture), 9);

        (status, body, _) = await GetAsync($"/projects/{_project}/analytics?metrics=builds,tests", "alice", accept: "text/csv");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(body.Contains("metrics=", StringComparison.Ordinal), body);
    }

    [Fact]
    public async Task Csv_cells_that_a_spreadsheet_would_run_are_defused()
    {
        var db = _app.Services.GetRequiredService<Database>();
        await ExecAsync(db, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, definition, created_at, started_at, finished_at)
            VALUES (gen_random_uuid(), @p1, 50, 'succeeded', 'push', '=HYPERLINK("x",1)', '{}', '2026-01-04T10:00:00Z', '2026-01-04T10:00:01Z', '2026-01-04T10:00:02Z')
            """, _project);
        await ExecAsync(db, "UPDATE analytics_watermarks SET changed_through = '-infinity'");
        await _app.Services.GetRequiredService<RollupTimer>().RollUpAsync(CancellationToken.None);
        var (_, body, _) = await GetAsync($"/projects/{_project}/analytics?granularity=day&from=2026-01-04&to=2026-01-05&metrics=builds", "alice", accept: "text/csv");
        Assert.Contains("2026-01-04T00:00:00Z,\"'=HYPERLINK(\"\"x\"\",1)\",push,1,", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_members_read_project_analytics()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync($"/projects/{_project}/analytics", null)).Status);
        // Internal: a signed-in stranger sees the project, but its analytics are for members.
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync($"/projects/{_project}/analytics", "mallory")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync($"/projects/{Guid.NewGuid()}/analytics", "alice")).Status);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/projects/{_project}/analytics", "root", admin: true)).Status);
    }

    [Theory]
    [InlineData("granularity=week")]
    [InlineData("from=yesterday")]
    [InlineData("from=2026-01-05&to=2026-01-04")]
    [InlineData("granularity=hour&from=2025-01-01&to=2026-01-01")]
    [InlineData("metrics=builds,secrets")]
    [InlineData("to=%00")]
    public async Task Bad_query_values_are_a_400_naming_the_parameter(string query)
    {
        var (status, body, type) = await GetAsync($"/projects/{_project}/analytics?{query}", "alice");
        Assert.True(status == HttpStatusCode.BadRequest, body);
        Assert.Equal("application/problem+json", type);
    }

    [Fact]
    public async Task Platform_usage_is_for_admins_and_counts_recorded_requests()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync("/analytics/usage", "alice")).Status);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/projects/{_project}", "alice")).Status);
        }

        await _app.Services.GetRequiredService<UsageRecorder>().FlushAsync(CancellationToken.None);
        await _app.Services.GetRequiredService<RollupTimer>().RollUpAsync(CancellationToken.None);
        var (status, body, _) = await GetAsync("/analytics/usage?granularity=hour", "root", admin: true);
        Assert.True(status == HttpStatusCode.OK, body);
        var items = JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().ToList();
        var gets = items.Where(i => i.GetProperty("function").GetString() == "GetProject" && i.GetProperty("userId").GetString() == "alice"
            && i.GetProperty("statusClass").GetString() == "2xx").ToList();
        Assert.Equal(3, gets.Sum(i => i.GetProperty("requests").GetInt64()));
        Assert.Contains(items, i => i.GetProperty("function").GetString() == "GetPlatformUsage" && i.GetProperty("statusClass").GetString() == "4xx");

        var csv = await GetAsync("/analytics/usage?granularity=day&from=2026-01-05&to=2026-01-06", "root", admin: true, accept: "text/csv");
        Assert.StartsWith("periodStart,function,userId,apiKeyId,statusClass,requests,latencyP50Ms,latencyP95Ms\r\n2026-01-05T00:00:00Z,GetProject,,,4xx,1,5,5\r\n", csv.Body, StringComparison.Ordinal);
    }
}
