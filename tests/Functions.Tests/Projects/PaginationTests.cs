using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;
using Npgsql;

namespace DevMentor.Functions.Tests.Projects;

public sealed class PaginationTests(ProjectsApi api) : IClassFixture<ProjectsApi>
{
    [Fact]
    public async Task Paging_over_250_projects_while_others_are_inserted_has_no_duplicates_and_no_gaps()
    {
        // 250 projects straight into the table (fast), spread over distinct and equal timestamps.
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO projects (id, slug, name, visibility, owner_id, created_at, updated_at)
                SELECT gen_random_uuid(), 'seed-' || i, 'Seed ' || i, 'internal', 'seeder',
                       timestamptz '2026-01-01' + (i / 3) * interval '1 second', now()
                FROM generate_series(1, 250) AS i
                """, connection);
            await insert.ExecuteNonQueryAsync();
        }

        using var start = await api.SendAsync(HttpMethod.Get, "/projects?limit=100", "reader");
        var seen = new List<string>();
        var cursor = (string?)null;
        var inserted = 0;
        do
        {
            // Another writer keeps creating projects while we page.
            await api.CreateAsync("writer", $"Inserted meanwhile {inserted++}", "\"visibility\": \"internal\"");
            using var response = await api.SendAsync(HttpMethod.Get, $"/projects/list?limit=7{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", "reader");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await ProjectsApi.JsonAsync(response);
            var items = page.GetProperty("items").EnumerateArray().ToList();
            Assert.InRange(items.Count, 0, 7);
            seen.AddRange(items.Where(i => i.GetProperty("slug").GetString()!.StartsWith("seed-", StringComparison.Ordinal)).Select(i => i.GetProperty("slug").GetString()!));
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
        }
        while (cursor is not null);

        Assert.Equal(250, seen.Count);
        Assert.Equal(250, seen.Distinct().Count());
        Assert.True(inserted > 30);
    }

    [Fact]
    public async Task Default_limit_is_20_and_the_last_page_has_no_cursor()
    {
        for (var i = 0; i < 23; i++)
        {
            await api.CreateAsync("pager", $"Pager {i}");
        }

        using var first = await api.SendAsync(HttpMethod.Get, "/projects?q=pager", "pager");
        var page = await ProjectsApi.JsonAsync(first);
        Assert.Equal(20, page.GetProperty("items").GetArrayLength());
        var cursor = page.GetProperty("nextCursor").GetString();

        using var second = await api.SendAsync(HttpMethod.Get, $"/projects?q=pager&cursor={Uri.EscapeDataString(cursor!)}", "pager");
        var last = await ProjectsApi.JsonAsync(second);
        Assert.Equal(3, last.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, last.GetProperty("nextCursor").ValueKind);
    }
}
