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
        // 250 projects straight into the table (fast), three to a timestamp: the keyset must break ties by id.
        var seeded = new HashSet<string>(StringComparer.Ordinal);
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO projects (id, slug, name, visibility, owner_id, created_at, updated_at)
                SELECT gen_random_uuid(), 'seed-' || i, 'Seed ' || i, 'internal', 'seeder',
                       timestamptz '2026-01-01' + (i / 3) * interval '1 second', now()
                FROM generate_series(1, 250) AS i
                RETURNING slug
                """, connection);
            await using var reader = await insert.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                seeded.Add(reader.GetString(0));
            }
        }

        // Other writers keep creating projects the whole time the reader pages, concurrently with it.
        using var stop = new CancellationTokenSource();
        var inserted = 0;
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await api.CreateAsync("writer", $"Inserted meanwhile {w} {Interlocked.Increment(ref inserted)}", "\"visibility\": \"internal\"");
            }
        })).ToArray();

        while (Volatile.Read(ref inserted) < 2 && !writers.Any(w => w.IsCompleted))
        {
            await Task.Delay(10);
        }

        var seen = new List<string>();
        var cursor = (string?)null;
        var pages = 0;
        try
        {
            do
            {
                using var response = await api.SendAsync(HttpMethod.Get, $"/projects/list?limit=7{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", "reader");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var page = await ProjectsApi.JsonAsync(response);
                var items = page.GetProperty("items").EnumerateArray().ToList();
                Assert.InRange(items.Count, 0, 7);
                seen.AddRange(items.Select(i => i.GetProperty("slug").GetString()!));
                cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.String ? page.GetProperty("nextCursor").GetString() : null;
                pages++;
            }
            while (cursor is not null);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers);
        }

        // No project twice (inserted ones included), and every project that existed at the start exactly once.
        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(seeded.Order(StringComparer.Ordinal), seen.Where(seeded.Contains).Order(StringComparer.Ordinal));
        Assert.True(pages >= 36, $"only {pages} pages");
        Assert.True(inserted > 10, $"only {inserted} projects were inserted while paging");
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
