using System.Net;
using System.Text.Json;
using DevMentor.Core.Search;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DevMentor.Functions.Tests.Code;

/// <summary>GET /search over projects, file paths and code: what a viewer sees, what an outsider never learns, pages and highlights.</summary>
public sealed class SearchTests : IAsyncLifetime
{
    private CodeSyncTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await CodeSyncTestKit.StartAsync("search");

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private async Task<JsonElement> SearchAsync(string user, string query)
    {
        using var response = await _kit.SendAsync(HttpMethod.Get, "/search?" + query, user);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_private_projects_code_is_found_by_its_viewer_and_never_by_an_outsider_even_by_id()
    {
        var project = await _kit.CreateProjectAsync("private");
        _kit.Commit(new Dictionary<string, string?>
        {
            ["src/quasar/Engine.cs"] = "namespace Q;\n// the flux capacitor\npublic sealed class QuasarEngine { int Warp() => 9; }\n",
            ["docs/readme.md"] = "Quasar engine docs: <script>alert(1)</script> QuasarEngine\n",
        });
        await _kit.SyncAsync(project);

        var code = await SearchAsync(CodeSyncTestKit.Viewer, "type=code&q=QuasarEngine");
        var hits = code.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["docs/readme.md", "src/quasar/Engine.cs"], hits.Select(h => h.GetProperty("path").GetString()!).Order(StringComparer.Ordinal).ToArray());
        var engine = hits.Single(h => h.GetProperty("path").GetString() == "src/quasar/Engine.cs");
        var snippet = engine.GetProperty("highlights")[0];
        Assert.Equal(3, snippet.GetProperty("line").GetInt32());
        var match = snippet.GetProperty("matches")[0];
        Assert.Equal("QuasarEngine", snippet.GetProperty("text").GetString()!.Substring(match[0].GetInt32(), match[1].GetInt32()));

        var files = await SearchAsync(CodeSyncTestKit.Viewer, $"type=file&q=quasar&projectId={project}");
        Assert.Equal("src/quasar/Engine.cs", Assert.Single(files.GetProperty("items").EnumerateArray()).GetProperty("path").GetString());

        // The outsider: no hits by text, by id, by project name; and the answer looks like any empty search.
        foreach (var query in new[] { "type=code&q=QuasarEngine", $"type=code&q=QuasarEngine&projectId={project}", "type=file&q=quasar", $"type=project&q=s-&projectId={project}" })
        {
            var outsider = await SearchAsync(CodeSyncTestKit.Outsider, query);
            Assert.Equal(0, outsider.GetProperty("items").GetArrayLength());
        }

        using var anonymous = await _kit.SendAsync(HttpMethod.Get, "/search?type=code&q=QuasarEngine", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Projects_are_found_by_name_in_keyset_pages_and_public_ones_by_anyone()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await _kit.CreateProjectAsync(i == 0 ? "public" : "private"));
        }

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await SearchAsync(CodeSyncTestKit.Viewer, "type=project&q=s&limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(h => h.GetProperty("projectId").GetGuid()));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(ids.Order(), seen.Order());

        var outsider = await SearchAsync(CodeSyncTestKit.Outsider, "type=project&q=s&limit=100");
        Assert.Equal([ids[0]], outsider.GetProperty("items").EnumerateArray().Select(h => h.GetProperty("projectId").GetGuid()));
    }

    [Fact]
    public async Task A_path_search_left_to_its_uncommon_trigrams_still_finds_exactly_the_paths_holding_the_whole_text()
    {
        var project = await _kit.CreateProjectAsync("private");
        // 200 paths hold "par", "art" and "rt4"; "t42", "425" and "251" are in 4 of 204, under the 5% that makes a trigram common.
        var files = Enumerable.Range(4000, 200).ToDictionary(n => $"src/generated/part{n}.cs", n => (string?)$"// {n}\n");
        files["src/generated/Part4251.cs"] = "// the one\n";
        files["docs/part42510/notes.md"] = "notes\n";
        files["src/t4251.cs"] = "// holds what the index is asked for, not the whole text\n";
        files["src/part-4251.cs"] = "// the text split by a dash\n";
        _kit.Commit(files);
        await _kit.SyncAsync(project);

        // What autovacuum's analyze would do: the statistics migration 0036 keeps on show_trgm(path).
        await using (var connection = new NpgsqlConnection(_kit.ConnectionString))
        {
            await connection.OpenAsync();
            await using var analyze = new NpgsqlCommand("ANALYZE code_search_files", connection);
            await analyze.ExecuteNonQueryAsync();
        }

        IReadOnlySet<string> common = await _kit.App.Services.GetRequiredService<PathTrigrams>().ReadAsync(CancellationToken.None);
        Assert.Contains("par", common);
        Assert.Contains("rt4", common);
        Assert.DoesNotContain("425", common);
        Assert.Equal("T4251", PathTrigrams.IndexText("PART4251", common));

        var seen = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await SearchAsync(CodeSyncTestKit.Viewer, "type=file&q=PART4251&limit=1" + (cursor is null ? "" : "&cursor=" + cursor));
            seen.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        Assert.Equal(["docs/part42510/notes.md", "src/generated/Part4251.cs"], seen.Select(h => h.GetProperty("path").GetString()!).Order(StringComparer.Ordinal).ToArray());
        foreach (var hit in seen)
        {
            var snippet = hit.GetProperty("highlights")[0];
            var match = snippet.GetProperty("matches")[0];
            Assert.Equal("part4251", snippet.GetProperty("text").GetString()!.Substring(match[0].GetInt32(), match[1].GetInt32()), ignoreCase: true);
        }

        Assert.Equal(0, (await SearchAsync(CodeSyncTestKit.Outsider, "type=file&q=PART4251")).GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("type=code", "q")]
    [InlineData("type=code&q=%00x", "q")]
    [InlineData("type=everything&q=x", "type")]
    [InlineData("q=x&projectId=nope", "projectId")]
    [InlineData("q=x&limit=1000", "limit")]
    [InlineData("q=x&cursor=%%%", "cursor")]
    public async Task Bad_queries_are_400s_naming_the_parameter(string query, string field)
    {
        using var response = await _kit.SendAsync(HttpMethod.Get, "/search?" + query, CodeSyncTestKit.Viewer);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").TryGetProperty(field, out _));
    }
}
