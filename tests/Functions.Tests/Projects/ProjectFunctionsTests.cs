using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Projects;

public sealed class ProjectFunctionsTests(ProjectsApi api) : IClassFixture<ProjectsApi>
{
    [Fact]
    public async Task Create_answers_201_with_location_etag_and_the_project_both_on_the_seed_path_and_the_alias()
    {
        foreach (var path in new[] { "/projects/create", "/projects" })
        {
            using var response = await api.SendAsync(HttpMethod.Post, path, "alice", """
                {"name": "Web Shop ", "description": "A shop", "visibility": "internal",
                 "repository": {"provider": "github", "fullName": "acme/web-shop"},
                 "settings": {"buildBranches": ["main", "release/*"], "deployEnvironments": [{"name": "production", "branch": "main"}]},
                 "someUnknownField": 42}
                """);
            var project = await ProjectsApi.JsonAsync(response);

            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var id = project.GetProperty("id").GetString();
            Assert.Equal($"/projects/{id}", response.Headers.Location?.OriginalString);
            Assert.Equal("\"1\"", response.Headers.ETag?.Tag);
            Assert.Equal("Web Shop", project.GetProperty("name").GetString());
            Assert.StartsWith("web-shop", project.GetProperty("slug").GetString());
            Assert.Equal("internal", project.GetProperty("visibility").GetString());
            Assert.Equal("alice", project.GetProperty("ownerId").GetString());
            Assert.Equal("https://github.com/acme/web-shop.git", project.GetProperty("repository").GetProperty("cloneUrl").GetString());
            Assert.Equal("main", project.GetProperty("repository").GetProperty("defaultBranch").GetString());
            Assert.Equal("release/*", project.GetProperty("settings").GetProperty("buildBranches")[1].GetString());
            Assert.Equal(JsonValueKind.Null, project.GetProperty("archivedAt").ValueKind);
            Assert.False(project.TryGetProperty("someUnknownField", out _));
        }
    }

    [Fact]
    public async Task Get_by_id_and_by_slug_carries_an_etag_and_answers_304_when_it_matches()
    {
        var created = await api.CreateAsync("bob", "Etag Demo", "\"slug\": \"etag-demo\"");
        var id = created.GetProperty("id").GetString();

        using var byId = await api.SendAsync(HttpMethod.Get, $"/projects/{id}", "bob");
        using var bySlug = await api.SendAsync(HttpMethod.Get, "/projects/etag-demo", "bob");
        Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bySlug.StatusCode);
        Assert.Equal(id, (await ProjectsApi.JsonAsync(bySlug)).GetProperty("id").GetString());
        var etag = byId.Headers.ETag!.Tag;

        using var conditional = TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "bob");
        conditional.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag));
        using var notModified = await api.App.Client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(etag, notModified.Headers.ETag?.Tag);

        using var stale = TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "bob");
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"999\""));
        using var full = await api.App.Client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
    }

    [Fact]
    public async Task Merge_patch_changes_only_the_given_fields_removes_nulls_and_bumps_the_etag()
    {
        var created = await api.CreateAsync("carol", "Patch Me", "\"description\": \"old\", \"repository\": {\"provider\": \"git\", \"cloneUrl\": \"https://git.example.com/x.git\"}");
        var id = created.GetProperty("id").GetString();

        using var request = TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", "carol");
        request.Content = new StringContent("""{"description": "new", "repository": null, "settings": {"buildBranches": ["dev"]}}""", Encoding.UTF8, "application/merge-patch+json");
        request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        using var response = await api.App.Client.SendAsync(request);
        var project = await ProjectsApi.JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"2\"", response.Headers.ETag?.Tag);
        Assert.Equal(2, project.GetProperty("version").GetInt64());
        Assert.Equal(created.GetProperty("createdAt").GetDateTimeOffset(), project.GetProperty("createdAt").GetDateTimeOffset());
        Assert.True(project.GetProperty("updatedAt").GetDateTimeOffset() > created.GetProperty("updatedAt").GetDateTimeOffset());
        Assert.Equal("Patch Me", project.GetProperty("name").GetString());
        Assert.Equal("new", project.GetProperty("description").GetString());
        Assert.Equal(JsonValueKind.Null, project.GetProperty("repository").ValueKind);
        Assert.Equal("dev", project.GetProperty("settings").GetProperty("buildBranches")[0].GetString());

        // The seed path does the same; a stale If-Match is refused.
        using var stale = TestAuth.Request(HttpMethod.Post, $"/projects/{id}/update", "carol", """{"description": "newer"}""");
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        using var refused = await api.App.Client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
        Assert.Equal("https://devmentor.dev/problems/precondition-failed", (await ProjectsApi.JsonAsync(refused)).GetProperty("type").GetString());

        // Without If-Match the last write wins.
        using var blind = await api.SendAsync(HttpMethod.Post, $"/projects/{id}/update", "carol", """{"description": "newest"}""");
        Assert.Equal(HttpStatusCode.OK, blind.StatusCode);
        Assert.Equal("newest", (await ProjectsApi.JsonAsync(blind)).GetProperty("description").GetString());
    }

    [Fact]
    public async Task The_slug_is_derived_from_the_name_kept_on_rename_and_editable_with_409_when_taken()
    {
        var created = await api.CreateAsync("sara", "Slug Source Project");
        var id = created.GetProperty("id").GetString();
        Assert.Equal("slug-source-project", created.GetProperty("slug").GetString());
        await api.CreateAsync("sara", "Occupant", "\"slug\": \"occupied-slug\"");

        // Renaming keeps the slug (links stay valid); the slug itself is editable.
        using var rename = await api.SendAsync(HttpMethod.Patch, $"/projects/{id}", "sara", """{"name": "Renamed Project"}""");
        Assert.Equal("slug-source-project", (await ProjectsApi.JsonAsync(rename)).GetProperty("slug").GetString());
        using var edit = await api.SendAsync(HttpMethod.Patch, $"/projects/{id}", "sara", """{"slug": "edited-slug"}""");
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal("edited-slug", (await ProjectsApi.JsonAsync(edit)).GetProperty("slug").GetString());
        using var byNew = await api.SendAsync(HttpMethod.Get, "/projects/edited-slug", "sara");
        using var byOld = await api.SendAsync(HttpMethod.Get, "/projects/slug-source-project", "sara");
        Assert.Equal(id, (await ProjectsApi.JsonAsync(byNew)).GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.NotFound, byOld.StatusCode);

        // Taken, malformed, or removed (null: derived from the current name again).
        using var taken = await api.SendAsync(HttpMethod.Post, $"/projects/{id}/update", "sara", """{"slug": "occupied-slug"}""");
        using var malformed = await api.SendAsync(HttpMethod.Patch, $"/projects/{id}", "sara", """{"slug": "../Edited"}""");
        using var rederived = await api.SendAsync(HttpMethod.Patch, $"/projects/{id}", "sara", """{"slug": null}""");
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("https://devmentor.dev/problems/conflict", (await ProjectsApi.JsonAsync(taken)).GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.True((await ProjectsApi.JsonAsync(malformed)).GetProperty("errors").TryGetProperty("slug", out _));
        Assert.Equal("renamed-project", (await ProjectsApi.JsonAsync(rederived)).GetProperty("slug").GetString());
    }

    [Fact]
    public async Task An_update_names_every_invalid_field_and_stores_nothing()
    {
        var created = await api.CreateAsync("tina", "Strict Update", "\"description\": \"kept\"");
        var id = created.GetProperty("id").GetString();

        using var response = await api.SendAsync(HttpMethod.Patch, $"/projects/{id}", "tina", $$"""
            {"name": "{{new string('n', 101)}}", "description": 7, "visibility": "everyone",
             "repository": {"provider": "github", "fullName": "no-slash"}, "settings": {"buildBranches": "main"}, "unknownField": true}
            """);
        var problem = await ProjectsApi.JsonAsync(response);
        using var after = await api.SendAsync(HttpMethod.Get, $"/projects/{id}", "tina");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            new[] { "description", "name", "repository.fullName", "settings.buildBranches", "visibility" },
            problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var stored = await ProjectsApi.JsonAsync(after);
        Assert.Equal("kept", stored.GetProperty("description").GetString());
        Assert.Equal(created.GetProperty("version").GetInt64(), stored.GetProperty("version").GetInt64());
    }

    [Theory]
    [InlineData("PATCH", "/projects/{id}", "text/plain", "{\"name\": \"x\"}", 415)]
    [InlineData("POST", "/projects/{id}/update", "application/xml", "<name>x</name>", 415)]
    [InlineData("PUT", "/projects/{id}/collaborators/someone", "text/plain", "{\"role\": \"viewer\"}", 415)]
    [InlineData("PATCH", "/projects/{id}", "application/merge-patch+json", "{\"name\": ", 400)]
    [InlineData("PATCH", "/projects/{id}", "application/merge-patch+json", "[\"name\"]", 400)]
    [InlineData("PATCH", "/projects/{id}", "application/merge-patch+json", "{\"name\": null}", 400)]
    [InlineData("PATCH", "/projects/{id}", "application/merge-patch+json", "{\"settings\": {\"deployEnvironments\": [{\"name\": \"../x\"}]}}", 400)]
    [InlineData("PUT", "/projects/{id}/collaborators/someone", "application/json", "{\"role\": [\"owner\"]}", 400)]
    [InlineData("PUT", "/projects/{id}/collaborators/%20padded%20", "application/json", "{\"role\": \"viewer\"}", 400)]
    [InlineData("PUT", "/projects/{id}/collaborators/a%01b", "application/json", "{\"role\": \"viewer\"}", 400)]
    [InlineData("DELETE", "/projects/{id}/collaborators/%01", null, null, 404)]
    public async Task Ugly_writes_to_a_project_get_a_4xx_problem_never_a_500(string method, string path, string? contentType, string? body, int expected)
    {
        var id = (await api.CreateAsync("uwe", "Ugly Target " + Guid.NewGuid().ToString("N")[..6])).GetProperty("id").GetString()!;
        using var request = TestAuth.Request(new HttpMethod(method), path.Replace("{id}", id, StringComparison.Ordinal), "uwe");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType!);
        }

        using var response = await api.App.Client.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Two_writers_racing_with_the_same_if_match_get_one_200_and_one_412()
    {
        var created = await api.CreateAsync("dave", "Race Track");
        var id = created.GetProperty("id").GetString();

        async Task<HttpStatusCode> WriteAsync(string description)
        {
            using var request = TestAuth.Request(HttpMethod.Patch, $"/projects/{id}", "dave", JsonSerializer.Serialize(new { description }));
            request.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
            using var response = await api.App.Client.SendAsync(request);
            return response.StatusCode;
        }

        var results = await Task.WhenAll(WriteAsync("first"), WriteAsync("second"));

        Assert.Single(results, HttpStatusCode.OK);
        Assert.Single(results, HttpStatusCode.PreconditionFailed);
    }

    [Fact]
    public async Task Archive_answers_204_makes_the_project_read_only_and_hides_it_from_default_lists()
    {
        var created = await api.CreateAsync("erin", "Old Thing", "\"slug\": \"erin-old-thing\"");
        var id = created.GetProperty("id").GetString();
        var current = (await api.CreateAsync("erin", "Current Thing", "\"slug\": \"erin-current-thing\"")).GetProperty("id").GetString();

        using var archive = await api.SendAsync(HttpMethod.Delete, $"/projects/{id}", "erin");
        using var again = await api.SendAsync(HttpMethod.Delete, $"/projects/{id}", "erin");
        using var get = await api.SendAsync(HttpMethod.Get, $"/projects/{id}", "erin");
        using var update = await api.SendAsync(HttpMethod.Patch, $"/projects/{id}", "erin", """{"name": "x"}""");
        using var collaborator = await api.SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/zed", "erin", """{"role": "viewer"}""");
        using var build = await api.SendAsync(HttpMethod.Post, $"/projects/{id}/build", "erin", """{"branch": "main"}""");
        using var deploy = await api.SendAsync(HttpMethod.Post, $"/projects/{id}/deploy", "erin", """{"environment": "production"}""");
        using var active = await api.SendAsync(HttpMethod.Get, "/projects?q=erin", "erin");
        using var archived = await api.SendAsync(HttpMethod.Get, "/projects/list?q=erin&archived=true", "erin");
        using var everything = await api.SendAsync(HttpMethod.Get, "/projects?q=erin&archived=all", "erin");

        Assert.Equal(HttpStatusCode.NoContent, archive.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.NotEqual(JsonValueKind.Null, (await ProjectsApi.JsonAsync(get)).GetProperty("archivedAt").ValueKind);
        Assert.Equal(HttpStatusCode.Conflict, update.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, collaborator.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, build.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, deploy.StatusCode);
        Assert.Equal([current], Ids(await ProjectsApi.JsonAsync(active)));
        Assert.Equal([id], Ids(await ProjectsApi.JsonAsync(archived)));
        Assert.Equal(new[] { id, current }.Order(), Ids(await ProjectsApi.JsonAsync(everything)).Order());
    }

    [Fact]
    public async Task Search_finds_projects_by_words_of_name_slug_and_description()
    {
        await api.CreateAsync("frank", "Quantum Ledger", "\"description\": \"accounting with zebras\"");
        await api.CreateAsync("frank", "Plain Thing", "\"slug\": \"narwhal-tools\"");

        var byName = Ids(await ProjectsApi.JsonAsync(await api.SendAsync(HttpMethod.Get, "/projects?q=quantum", "frank")));
        var byDescription = Ids(await ProjectsApi.JsonAsync(await api.SendAsync(HttpMethod.Get, "/projects?q=zebras", "frank")));
        var bySlug = Ids(await ProjectsApi.JsonAsync(await api.SendAsync(HttpMethod.Get, "/projects?q=narwhal", "frank")));
        var none = Ids(await ProjectsApi.JsonAsync(await api.SendAsync(HttpMethod.Get, "/projects?q=%22no+such+words%22+OR+-", "frank")));

        Assert.Single(byName);
        Assert.Single(byDescription);
        Assert.Single(bySlug);
        Assert.Empty(none);
    }

    [Fact]
    public async Task List_answers_carry_an_etag_and_304()
    {
        await api.CreateAsync("gina", "Listed");
        using var first = await api.SendAsync(HttpMethod.Get, "/projects/list?limit=5", "gina");
        using var conditional = TestAuth.Request(HttpMethod.Get, "/projects/list?limit=5", "gina");
        conditional.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var second = await api.App.Client.SendAsync(conditional);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task Duplicate_explicit_slug_is_409_and_a_duplicate_derived_slug_gets_a_suffix()
    {
        await api.CreateAsync("hank", "Same Name", "\"slug\": \"taken-slug\"");
        using var duplicate = await api.SendAsync(HttpMethod.Post, "/projects", "hank", """{"name": "Other", "slug": "taken-slug"}""");
        var first = await api.CreateAsync("hank", "Twin Name");
        var second = await api.CreateAsync("hank", "Twin Name");

        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        Assert.Equal("https://devmentor.dev/problems/conflict", (await ProjectsApi.JsonAsync(duplicate)).GetProperty("type").GetString());
        Assert.StartsWith("twin-name", second.GetProperty("slug").GetString());
        Assert.NotEqual(first.GetProperty("slug").GetString(), second.GetProperty("slug").GetString());
    }

    [Fact]
    public async Task Validation_names_every_invalid_field_and_wrong_types()
    {
        using var response = await api.SendAsync(HttpMethod.Post, "/projects", "ivan", """
            {"name": 42, "slug": "Bad Slug", "description": ["x"], "visibility": "secret",
             "repository": {"provider": "svn", "cloneUrl": "https://user:pw@example.com/x.git", "defaultBranch": "a..b"},
             "settings": {"buildBranches": [1], "deployEnvironments": [{"name": "Prod!"}]}}
            """);
        var problem = await ProjectsApi.JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://devmentor.dev/problems/validation-failed", problem.GetProperty("type").GetString());
        Assert.True(problem.TryGetProperty("traceId", out _));
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string>
        {
            "name", "slug", "description", "visibility", "repository.provider", "repository.cloneUrl", "repository.defaultBranch",
            "settings.buildBranches[0]", "settings.deployEnvironments[0].name",
        }, fields);
    }

    public static TheoryData<string, string, int> UglyBodies => new()
    {
        { "application/json", "{\"name\": ", 400 },
        { "application/json", "{\"name\": \"a\", \"name\": \"b\"}", 400 },
        { "application/json", "[1, 2, 3]", 400 },
        { "application/json", "\"just a string\"", 400 },
        { "application/json", "null", 400 },
        { "application/json", "", 400 },
        { "application/json", new string('[', 5000) + new string(']', 5000), 400 },
        { "text/plain", "{\"name\": \"x\"}", 415 },
        { "application/x-www-form-urlencoded", "name=x", 415 },
        { "application/json", "{\"name\": \"\"}", 400 },
        { "application/json", "{\"name\": \"" + new string('x', 101) + "\"}", 400 },
        { "application/json", "{\"name\": \"ok\", \"slug\": \"../etc/passwd\"}", 400 },
        { "application/json", "{\"name\": \"ok\", \"slug\": \"a/b\"}", 400 },
        { "application/json", "{\"name\": \"ok\", \"slug\": \"list\"}", 400 },
        { "application/json", "{\"name\": \"ok\", \"slug\": \"3f2504e0-4f89-11d3-9a0c-0305e82c3301\"}", 400 },
        { "application/json", "{\"name\": \"ok\", \"slug\": \"%2e%2e\"}", 400 },
        { "application/json", "{\"name\": \"line\\nbreak\"}", 400 },
        { "application/json", "{\"name\": \"\\ud800 lone surrogate\"}", 400 },
        { "application/json", "{\"name\": \"ok\", \"visibility\": null, \"repository\": 5}", 400 },
        { "application/json", "{\"name\": \"ok\", \"description\": \"" + new string('d', 2001) + "\"}", 400 },
        { "application/json", "\uFEFF\uFEFF{}", 400 },
    };

    [Theory]
    [MemberData(nameof(UglyBodies))]
    public async Task Ugly_bodies_get_a_4xx_problem_never_a_500(string contentType, string body, int expected)
    {
        using var request = TestAuth.Request(HttpMethod.Post, "/projects", "judy");
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await api.App.Client.SendAsync(request);

        Assert.Equal(expected, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_leading_utf8_byte_order_mark_is_ignored()
    {
        // StringContent encodes U+FEFF as the three bytes EF BB BF.
        using var response = await api.SendAsync(HttpMethod.Post, "/projects", "judy", "\uFEFF{\"name\": \"Bom First\"}");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("Bom First", (await ProjectsApi.JsonAsync(response)).GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_5_MiB_body_is_413()
    {
        var huge = "{\"name\": \"" + new string('x', 5 * 1024 * 1024) + "\"}";
        using var response = await api.SendAsync(HttpMethod.Post, "/projects", "judy", huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("https://devmentor.dev/problems/payload-too-large", (await ProjectsApi.JsonAsync(response)).GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("Robert'); DROP TABLE projects;--")]
    [InlineData("1 OR 1=1; SELECT * FROM api_keys")]
    [InlineData("Проект 🚀 日本語")]
    [InlineData("ｆｕｌｌｗｉｄｔｈ ＆ ümlaut")]
    [InlineData("<script>alert(1)</script>")]
    public async Task Sql_looking_and_unicode_names_are_stored_verbatim(string name)
    {
        var created = await api.CreateAsync("kate", name);
        using var get = await api.SendAsync(HttpMethod.Get, $"/projects/{created.GetProperty("slug").GetString()}", "kate");

        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(name, (await ProjectsApi.JsonAsync(get)).GetProperty("name").GetString());
        Assert.Matches("^[a-z0-9-]+$", created.GetProperty("slug").GetString());
    }

    [Theory]
    [InlineData("/projects/..%2F..%2Fetc%2Fpasswd", 404)]
    [InlineData("/projects/%01%7F", 404)]
    [InlineData("/projects/" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 404)]
    [InlineData("/projects/' OR 1=1 --", 404)]
    [InlineData("/projects/00000000-0000-0000-0000-000000000000", 404)]
    [InlineData("/projects/list?limit=0", 400)]
    [InlineData("/projects/list?limit=101", 400)]
    [InlineData("/projects/list?limit=abc", 400)]
    [InlineData("/projects/list?cursor=not-a-cursor", 400)]
    [InlineData("/projects/list?archived=maybe", 400)]
    [InlineData("/projects/list?q=%27%3B+DROP+TABLE+projects%3B--", 200)]
    [InlineData("/projects/list?q=a%26b%7Cc%21%3A*", 200)]
    public async Task Ugly_paths_and_queries_never_500(string url, int expected)
    {
        using var response = await api.SendAsync(HttpMethod.Get, url, "leo");

        Assert.Equal(expected, (int)response.StatusCode);
    }

    [Fact]
    public async Task Ten_concurrent_identical_creates_with_one_idempotency_key_make_one_project()
    {
        const string body = """{"name": "Idempotent One"}""";
        async Task<(HttpStatusCode Status, string? Id, string? Location, string? Body, bool Replayed)> CreateAsync()
        {
            using var request = TestAuth.Request(HttpMethod.Post, "/projects/create", "mia", body);
            request.Headers.Add("Idempotency-Key", "key-123");
            using var response = await api.App.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, JsonDocument.Parse(text).RootElement.GetProperty("id").GetString(), response.Headers.Location?.OriginalString,
                text, response.Headers.Contains("Idempotent-Replayed"));
        }

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => CreateAsync()));
        using var list = await api.SendAsync(HttpMethod.Get, "/projects?q=idempotent", "mia");

        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Single(Ids(await ProjectsApi.JsonAsync(list)));
        // The first answer again, word for word, marked as a replay for the nine others.
        Assert.All(results, r => Assert.Equal($"/projects/{results[0].Id}", r.Location));
        Assert.Single(results.Select(r => r.Body).Distinct());
        Assert.Equal(9, results.Count(r => r.Replayed));

        using var other = TestAuth.Request(HttpMethod.Post, "/projects/create", "mia", """{"name": "Something Else"}""");
        other.Headers.Add("Idempotency-Key", "key-123");
        using var mismatch = await api.App.Client.SendAsync(other);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mismatch.StatusCode);

        // Keys are per caller: the same key from someone else is a new request.
        using var someoneElse = TestAuth.Request(HttpMethod.Post, "/projects/create", "nick", body);
        someoneElse.Headers.Add("Idempotency-Key", "key-123");
        using var theirs = await api.App.Client.SendAsync(someoneElse);
        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
        Assert.NotEqual(results[0].Id, (await ProjectsApi.JsonAsync(theirs)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Idempotency_keys_are_kept_for_24_hours_and_an_expired_key_is_a_new_request()
    {
        using var first = TestAuth.Request(HttpMethod.Post, "/projects", "nora", """{"name": "Kept A Day"}""");
        first.Headers.Add("Idempotency-Key", "day-key");
        using var created = await api.App.Client.SendAsync(first);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var firstId = (await ProjectsApi.JsonAsync(created)).GetProperty("id").GetString();

        await using var connection = new Npgsql.NpgsqlConnection(api.ConnectionString);
        await connection.OpenAsync();
        await using (var read = new Npgsql.NpgsqlCommand("SELECT expires_at - now() FROM idempotency_keys WHERE key = 'day-key' AND scope LIKE '%user:nora'", connection))
        {
            var kept = (TimeSpan)(await read.ExecuteScalarAsync())!;
            Assert.InRange(kept, TimeSpan.FromHours(24) - TimeSpan.FromMinutes(5), TimeSpan.FromHours(24));
        }

        // A day later (before Housekeeping got to it) the key means nothing any more: another body is a new project, not 422.
        await using (var age = new Npgsql.NpgsqlCommand("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'day-key'", connection))
        {
            Assert.Equal(1, await age.ExecuteNonQueryAsync());
        }

        using var later = TestAuth.Request(HttpMethod.Post, "/projects", "nora", """{"name": "Kept A Day, Then Another"}""");
        later.Headers.Add("Idempotency-Key", "day-key");
        using var again = await api.App.Client.SendAsync(later);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.False(again.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual(firstId, (await ProjectsApi.JsonAsync(again)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task An_invalid_idempotency_key_or_create_remote_flag_is_a_400_naming_it()
    {
        using var longKey = TestAuth.Request(HttpMethod.Post, "/projects", "nora", """{"name": "Bad Key"}""");
        longKey.Headers.TryAddWithoutValidation("Idempotency-Key", new string('k', 201));
        using var refused = await api.App.Client.SendAsync(longKey);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Idempotency-Key", (await ProjectsApi.JsonAsync(refused)).GetProperty("detail").GetString(), StringComparison.Ordinal);

        // Every invalid field is named, the createRemote flag among them.
        using var both = await api.SendAsync(HttpMethod.Post, "/projects", "nora", """{"name": 5, "visibility": "nope", "createRemote": "yes"}""");
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        Assert.Equal(
            new[] { "createRemote", "name", "visibility" },
            (await ProjectsApi.JsonAsync(both)).GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_last_owner_cannot_be_removed_or_demoted()
    {
        var created = await api.CreateAsync("olga", "Owned");
        var id = created.GetProperty("id").GetString();
        using (var initial = await api.SendAsync(HttpMethod.Get, $"/projects/{id}/collaborators", "olga"))
        {
            // The creator is the owner, and the only collaborator.
            var only = Assert.Single((await ProjectsApi.JsonAsync(initial)).GetProperty("items").EnumerateArray());
            Assert.Equal(("olga", "owner"), (only.GetProperty("userId").GetString(), only.GetProperty("role").GetString()));
        }

        using var demote = await api.SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/olga", "olga", """{"role": "viewer"}""");
        using var remove = await api.SendAsync(HttpMethod.Delete, $"/projects/{id}/collaborators/olga", "olga");
        using var add = await api.SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/pete", "olga", """{"role": "owner"}""");
        using var removeNow = await api.SendAsync(HttpMethod.Delete, $"/projects/{id}/collaborators/olga", "olga");
        using var list = await api.SendAsync(HttpMethod.Get, $"/projects/{id}/collaborators", "pete");
        using var badRole = await api.SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/quin", "pete", """{"role": "god"}""");
        using var missing = await api.SendAsync(HttpMethod.Delete, $"/projects/{id}/collaborators/nobody", "pete");

        Assert.Equal(HttpStatusCode.Conflict, demote.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, remove.StatusCode);
        Assert.Equal(HttpStatusCode.Created, add.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, removeNow.StatusCode);
        var items = (await ProjectsApi.JsonAsync(list)).GetProperty("items").EnumerateArray().Select(i => (i.GetProperty("userId").GetString(), i.GetProperty("role").GetString())).ToList();
        Assert.Equal([("pete", "owner")], items);
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // The list carries an ETag: 304 while it is unchanged, 200 with a new one after a change.
        using var unchanged = TestAuth.Request(HttpMethod.Get, $"/projects/{id}/collaborators", "pete");
        unchanged.Headers.IfNoneMatch.Add(list.Headers.ETag!);
        using var notModified = await api.App.Client.SendAsync(unchanged);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        using var promote = await api.SendAsync(HttpMethod.Put, $"/projects/{id}/collaborators/quin", "pete", """{"role": "developer"}""");
        Assert.Equal(HttpStatusCode.Created, promote.StatusCode);
        using var afterChange = TestAuth.Request(HttpMethod.Get, $"/projects/{id}/collaborators", "pete");
        afterChange.Headers.IfNoneMatch.Add(list.Headers.ETag!);
        using var changed = await api.App.Client.SendAsync(afterChange);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(list.Headers.ETag, changed.Headers.ETag);
    }

    private static List<string?> Ids(JsonElement page) =>
        page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
}
