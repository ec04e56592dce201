using System.Net;
using System.Text.Json;
using DevMentor.Core.Analytics;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>
/// Code-metric trends rolled up from the code-sync analysis of a seeded history, against numbers
/// computed by hand: per hour and day, the code of the last commit synced in it, per language.
/// </summary>
public sealed class CodeTrendTests
{
    // Syncs on 2026-01-05: k1 10:10 and k2 10:40 (the last of hour 10), k3 11:20 (the last of hour 11 and of the day);
    // k4 failed at 11:50 and k5 succeeded at 11:30 without a complete tree: neither counts.
    //   b1 C#  100/10/5 lines, methods of complexity 3 and 7;  b2 C# 50/0/2, one method of complexity 1;
    //   b3 Python 30/3/1;  b4 no language ("Other") 7/0/0;  b5 binary, never analysed.
    //   k1 = {a.cs:b1, s.py:b3};  k2 = {a.cs:b1, b.cs:b2, s.py:b3, README:b4, logo.png:b5};  k3 = {a.cs:b2, s.py:b3}.
    private static Task SeedCodeAsync(Database db, Guid project) => ExecAsync(db, """
        INSERT INTO code_syncs (id, project_id, commit_sha, ref, trigger, status, finished_at) VALUES
          (gen_random_uuid(), @p1, 'k1', 'refs/heads/main', 'push', 'succeeded', '2026-01-05T10:10:00Z'),
          (gen_random_uuid(), @p1, 'k2', 'refs/heads/main', 'push', 'succeeded', '2026-01-05T10:40:00Z'),
          (gen_random_uuid(), @p1, 'k3', 'refs/heads/main', 'push', 'succeeded', '2026-01-05T11:20:00Z'),
          (gen_random_uuid(), @p1, 'k4', 'refs/heads/main', 'push', 'failed', '2026-01-05T11:50:00Z'),
          (gen_random_uuid(), @p1, 'k5', 'refs/heads/main', 'push', 'succeeded', '2026-01-05T11:30:00Z');
        INSERT INTO code_commits (project_id, commit_sha, file_count, total_bytes) VALUES
          (@p1, 'k1', 2, 100), (@p1, 'k2', 5, 300), (@p1, 'k3', 2, 80), (@p1, 'k4', 2, 80);
        INSERT INTO code_blob_metrics (project_id, blob_sha, language, code_lines, comment_lines, blank_lines, methods) VALUES
          (@p1, 'b1', 'C#', 100, 10, 5, '[{"name":"A","line":1,"complexity":3},{"name":"B","line":10,"complexity":7}]'),
          (@p1, 'b2', 'C#', 50, 0, 2, '[{"name":"C","line":1,"complexity":1}]'),
          (@p1, 'b3', 'Python', 30, 3, 1, NULL),
          (@p1, 'b4', NULL, 7, 0, 0, NULL);
        INSERT INTO code_files (project_id, commit_sha, path, mode, kind, blob_sha, language) VALUES
          (@p1, 'k1', 'a.cs', '100644', 'file', 'b1', 'C#'), (@p1, 'k1', 's.py', '100644', 'file', 'b3', 'Python'),
          (@p1, 'k2', 'a.cs', '100644', 'file', 'b1', 'C#'), (@p1, 'k2', 'b.cs', '100644', 'file', 'b2', 'C#'),
          (@p1, 'k2', 's.py', '100644', 'file', 'b3', 'Python'), (@p1, 'k2', 'README', '100644', 'file', 'b4', NULL),
          (@p1, 'k2', 'logo.png', '100644', 'file', 'b5', NULL),
          (@p1, 'k3', 'a.cs', '100644', 'file', 'b2', 'C#'), (@p1, 'k3', 's.py', '100644', 'file', 'b3', 'Python'),
          (@p1, 'k4', 'a.cs', '100644', 'file', 'b1', 'C#'), (@p1, 'k4', 's.py', '100644', 'file', 'b1', 'C#');
        """, project);

    private static async Task<(TestApp App, Guid Project)> StartAsync(string purpose)
    {
        var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync(purpose), TestAuth.Settings(("Analytics:SettleSeconds", "0"), ("Analytics:RecordUsage", "false")));
        using var created = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice", """{"name":"Trends","visibility":"internal"}"""));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        var project = JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
        await SeedCodeAsync(app.Services.GetRequiredService<Database>(), project);
        return (app, project);
    }

    private static async Task<string> DumpCodeAsync(Database db) =>
        (await ScalarAsync<string>(db, "SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM analytics_code t")) ?? "";

    [Fact]
    public async Task Lines_per_language_and_complexity_follow_the_last_commit_synced_in_each_period()
    {
        var (app, project) = await StartAsync("code-trends");
        await using var _app = app;
        var rollup = app.Services.GetRequiredService<RollupTimer>();
        var store = app.Services.GetRequiredService<AnalyticsStore>();
        Assert.True(await rollup.RollUpAsync(CancellationToken.None) > 0);

        var hours = await store.CodeAsync(project, "hour", At("00:00:00"), At("23:59:59"), CancellationToken.None);
        // Hour 10 is k2: C# a.cs + b.cs = 150/10/7 lines, methods 3 + 7 + 1 = 11 over 3; Python 30/3/1; README as Other; logo.png unanalysed.
        Assert.Equal(
            [
                new CodeRollup(At("10:00:00"), "C#", "k2", 2, 150, 10, 7, 3, 11, 11.0 / 3, 7),
                new CodeRollup(At("10:00:00"), "Python", "k2", 1, 30, 3, 1, 0, null, null, null),
                new CodeRollup(At("10:00:00"), "Other", "k2", 1, 7, 0, 0, 0, null, null, null),
                // Hour 11 is k3 (k4 failed; k5 has no tree): a.cs is now b2.
                new CodeRollup(At("11:00:00"), "C#", "k3", 1, 50, 0, 2, 1, 1, 1.0, 1),
                new CodeRollup(At("11:00:00"), "Python", "k3", 1, 30, 3, 1, 0, null, null, null),
            ],
            hours.Select(h => h with { ComplexityAverage = h.ComplexityAverage is { } a ? Math.Round(a, 9) : null }).ToList(),
            new CodeRollupComparer());

        var days = await store.CodeAsync(project, "day", At("00:00:00"), At("23:59:59"), CancellationToken.None);
        Assert.Equal(hours.Where(h => h.PeriodStart == At("11:00:00")).Select(h => h with { PeriodStart = At("00:00:00") }), days);

        // Idempotent: nothing to do again; from scratch, the same rows.
        var db = app.Services.GetRequiredService<Database>();
        var first = await DumpCodeAsync(db);
        Assert.Equal(0, await rollup.RollUpAsync(CancellationToken.None));
        await ExecAsync(db, "UPDATE analytics_watermarks SET changed_through = '-infinity' WHERE source = 'code'");
        Assert.Equal(3, await rollup.RollUpAsync(CancellationToken.None)); // hours 10 and 11, the day
        Assert.Equal(first, await DumpCodeAsync(db));

        // A sync finishing now is folded into the current hour.
        await ExecAsync(db, """
            INSERT INTO code_syncs (id, project_id, commit_sha, trigger, status, finished_at) VALUES (gen_random_uuid(), @p1, 'k1', 'push', 'succeeded', now())
            ON CONFLICT (project_id, commit_sha) DO UPDATE SET finished_at = now()
            """, project);
        await rollup.RollUpAsync(CancellationToken.None);
        var now = DateTimeOffset.UtcNow;
        var current = await store.CodeAsync(project, "hour", now.AddHours(-1), now.AddHours(1), CancellationToken.None);
        Assert.Equal(("k1", 100L), (current.Single(c => c.Language == "C#").CommitSha, current.Single(c => c.Language == "C#").CodeLines));
    }

    [Fact]
    public async Task The_api_serves_code_trends_as_json_and_csv_to_members_only()
    {
        var (app, project) = await StartAsync("code-trends-api");
        await using var _app = app;
        await app.Services.GetRequiredService<RollupTimer>().RollUpAsync(CancellationToken.None);
        const string range = "granularity=hour&from=2026-01-05T00:00:00Z&to=2026-01-06T00:00:00Z";

        using (var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/analytics?{range}&metrics=code", "alice")))
        {
            var root = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(root.TryGetProperty("builds", out _));
            var code = root.GetProperty("code");
            Assert.Equal(5, code.GetArrayLength());
            var csharp = code[0];
            Assert.Equal(("C#", "k2", 150L, 3, 11L, 7), (csharp.GetProperty("language").GetString(), csharp.GetProperty("commit").GetString(),
                csharp.GetProperty("codeLines").GetInt64(), csharp.GetProperty("methods").GetInt32(), csharp.GetProperty("complexityTotal").GetInt64(),
                csharp.GetProperty("complexityMax").GetInt32()));
            Assert.Equal(JsonValueKind.Null, code[1].GetProperty("complexityAverage").ValueKind);
        }

        using (var request = TestAuth.Request(HttpMethod.Get, $"/projects/{project}/analytics?{range}&metrics=code", "alice"))
        {
            request.Headers.Accept.ParseAdd("text/csv");
            using var response = await app.Client.SendAsync(request);
            var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("periodStart,language,commit,files,codeLines,commentLines,blankLines,methods,complexityTotal,complexityAverage,complexityMax", lines[0]);
            Assert.Equal("2026-01-05T10:00:00Z,C#,k2,2,150,10,7,3,11," + (11.0 / 3).ToString("R", System.Globalization.CultureInfo.InvariantCulture) + ",7", lines[1]);
            Assert.Equal("2026-01-05T11:00:00Z,Python,k3,1,30,3,1,0,,,", lines[5]);
        }

        // Signed in but not a member of this internal project.
        using var stranger = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/analytics?{range}&metrics=code", "mallory"));
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
    }

    private sealed class CodeRollupComparer : IEqualityComparer<CodeRollup>
    {
        public bool Equals(CodeRollup? x, CodeRollup? y) =>
            x is not null && y is not null && x with { ComplexityAverage = null } == y with { ComplexityAverage = null }
            && Math.Abs((x.ComplexityAverage ?? -1) - (y.ComplexityAverage ?? -1)) < 1e-6;

        public int GetHashCode(CodeRollup obj) => obj.Language.GetHashCode(StringComparison.Ordinal);
    }
}
