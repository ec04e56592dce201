using System.Net;
using System.Text.RegularExpressions;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Projects;

public sealed partial class ProjectCacheTests
{
    [Fact]
    public async Task A_read_after_a_write_is_never_stale_across_two_instances_on_one_database()
    {
        var database = await TestPostgres.CreateDatabaseAsync("cachetwohosts");
        await using var a = await TestApp.StartAsync(database, TestAuth.Settings());
        await using var b = await TestApp.StartAsync(database, TestAuth.Settings());

        using var create = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "uma", """{"name": "Shared", "description": "v0"}"""));
        var id = (await ProjectsApi.JsonAsync(create)).GetProperty("id").GetString();

        for (var round = 1; round <= 20; round++)
        {
            // Both instances hold the current version in their caches…
            using var warmA = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "uma"));
            using var warmB = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "uma"));
            Assert.Equal(HttpStatusCode.OK, warmB.StatusCode);

            // …one writes, alternately; the other must answer with the write at once.
            var (writer, reader) = round % 2 == 0 ? (a, b) : (b, a);
            using var write = await writer.Client.SendAsync(TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", "uma", $$"""{"description": "v{{round}}"}"""));
            Assert.Equal(HttpStatusCode.OK, write.StatusCode);
            using var read = await reader.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "uma"));
            Assert.Equal($"v{round}", (await ProjectsApi.JsonAsync(read)).GetProperty("description").GetString());
            Assert.Equal(write.Headers.ETag, read.Headers.ETag);
        }

        // A collaborator change on one instance is seen by the other's access checks at once.
        using var grant = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{id}/collaborators/vic", "uma", """{"role": "viewer"}"""));
        using var asVic = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "vic"));
        using var revoke = await b.Client.SendAsync(TestAuth.Request(HttpMethod.Delete, $"/projects/{id}/collaborators/vic", "uma"));
        using var asVicAgain = await a.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "vic"));
        Assert.Equal(HttpStatusCode.OK, asVic.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, asVicAgain.StatusCode);
    }

    [Fact]
    public async Task Concurrent_reads_by_id_and_slug_batched_into_shared_probes_each_get_their_own_project()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("cacheprobes"), TestAuth.Settings());
        var projects = new List<(string Id, string Slug)>();
        for (var i = 0; i < 6; i++)
        {
            using var create = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "xavi", $$"""{"name": "Probe {{i}}"}"""));
            var json = await ProjectsApi.JsonAsync(create);
            projects.Add((json.GetProperty("id").GetString()!, json.GetProperty("slug").GetString()!));
        }

        var reads = Enumerable.Range(0, 120).Select(async i =>
        {
            var (id, slug) = projects[i % projects.Count];
            var path = i % 3 == 0 ? "no-such-project" : i % 2 == 0 ? id : slug;
            using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{path}", "xavi"));
            return (Expected: path == "no-such-project" ? null : id, Status: response.StatusCode,
                Actual: response.IsSuccessStatusCode ? (await ProjectsApi.JsonAsync(response)).GetProperty("id").GetString() : null);
        });

        foreach (var (expected, status, actual) in await Task.WhenAll(reads))
        {
            Assert.Equal(expected is null ? HttpStatusCode.NotFound : HttpStatusCode.OK, status);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public async Task Cache_hits_and_misses_are_counted_in_prometheus_text_at_metrics()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("cachemetrics"), TestAuth.Settings());
        using var create = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "wes", """{"name": "Counted"}"""));
        var id = (await ProjectsApi.JsonAsync(create)).GetProperty("id").GetString();

        for (var i = 0; i < 3; i++)
        {
            using var get = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "wes"));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        using var metrics = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/metrics", "wes"));
        var text = await metrics.Content.ReadAsStringAsync();

        Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
        Assert.Contains("# TYPE devmentor_cache_hits_total counter", text, StringComparison.Ordinal);
        Assert.Equal(1, Value(text, "devmentor_cache_misses_total"));
        Assert.Equal(2, Value(text, "devmentor_cache_hits_total"));
    }

    private static double Value(string text, string name)
    {
        // The OpenTelemetry Prometheus exporter may follow the value with a timestamp.
        var match = Regex.Match(text, $"^{name}\\{{cache=\"project\"\\}} (\\S+)( \\d+)?$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} missing in:\n{text}");
        return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
