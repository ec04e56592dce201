using System.Net;
using System.Text;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Projects;

namespace DevMentor.Functions.Tests.Security;

public sealed class ApiKeyTests
{
    private const string AdminKey = "configured-bootstrap-admin-key-for-tests";

    [Fact]
    public async Task Admin_creates_a_key_bound_to_a_principal_which_works_until_revoked()
    {
        var database = await TestPostgres.CreateDatabaseAsync("apikeys");
        await using var app = await TestApp.StartAsync(database, TestAuth.Settings(("Auth:BootstrapApiKey", AdminKey)));

        using var create = await app.Client.SendAsync(WithKey(HttpMethod.Post, "/apikeys", AdminKey, """{"name": "ci", "userId": "ci-bot"}"""));
        var created = await ProjectsApi.JsonAsync(create);
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var key = created.GetProperty("key").GetString()!;
        var id = created.GetProperty("id").GetString();
        var prefix = created.GetProperty("prefix").GetString()!;
        Assert.Matches("^dmk_[0-9a-f]{8}$", prefix);
        Assert.StartsWith(prefix + "_", key);

        // Stored as its SHA-256 beside the visible prefix; the key itself appears nowhere in the table.
        await using (var connection = new Npgsql.NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var stored = new Npgsql.NpgsqlCommand("""
                SELECT (SELECT count(*) FROM api_keys WHERE key_hash = sha256(convert_to($1, 'UTF8')) AND prefix = $2 AND principal_id = 'ci-bot'),
                       (SELECT count(*) FROM api_keys a WHERE position($1 IN a::text) > 0 OR position($3 IN a::text) > 0)
                """, connection);
            stored.Parameters.AddWithValue(key);
            stored.Parameters.AddWithValue(prefix);
            stored.Parameters.AddWithValue(AdminKey);
            await using var reader = await stored.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(1, reader.GetInt64(0));
            Assert.Equal(0, reader.GetInt64(1));
        }

        // The key acts as its principal: a project it creates belongs to ci-bot.
        using var project = await app.Client.SendAsync(WithKey(HttpMethod.Post, "/projects", key, """{"name": "Made by CI"}"""));
        Assert.Equal(HttpStatusCode.Created, project.StatusCode);
        Assert.Equal("ci-bot", (await ProjectsApi.JsonAsync(project)).GetProperty("ownerId").GetString());

        // Not an admin key: the key API is closed to it.
        using var notAdmin = await app.Client.SendAsync(WithKey(HttpMethod.Get, "/apikeys", key));
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);

        // Lists show prefixes, never keys.
        using var list = await app.Client.SendAsync(WithKey(HttpMethod.Get, "/apikeys", AdminKey));
        var listed = await list.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Contains(id!, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminKey, listed, StringComparison.Ordinal);
        using var unchanged = WithKey(HttpMethod.Get, "/apikeys", AdminKey);
        unchanged.Headers.IfNoneMatch.Add(list.Headers.ETag!);
        using (var notModified = await app.Client.SendAsync(unchanged))
        {
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }

        using var revoke = await app.Client.SendAsync(WithKey(HttpMethod.Delete, $"/apikeys/{id}", AdminKey));
        using var afterRevoke = await app.Client.SendAsync(WithKey(HttpMethod.Get, "/projects", key));
        using var unknown = await app.Client.SendAsync(WithKey(HttpMethod.Get, "/projects", "dmk_00000000_nope"));
        using var revokeMissing = await app.Client.SendAsync(WithKey(HttpMethod.Delete, $"/apikeys/{Guid.NewGuid()}", AdminKey));
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, revokeMissing.StatusCode);

        // The list changed (a revocation), so the old ETag no longer matches.
        using var afterRevocation = WithKey(HttpMethod.Get, "/apikeys", AdminKey);
        afterRevocation.Headers.IfNoneMatch.Add(list.Headers.ETag!);
        using var changed = await app.Client.SendAsync(afterRevocation);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(list.Headers.ETag, changed.Headers.ETag);
    }

    [Fact]
    public async Task Creating_a_key_validates_its_fields()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("apikeyvalidation"),
            TestAuth.Settings(("Auth:BootstrapApiKey", AdminKey)));

        using var response = await app.Client.SendAsync(WithKey(HttpMethod.Post, "/apikeys", AdminKey, """{"name": "", "userId": 7, "admin": "yes"}"""));
        var errors = (await ProjectsApi.JsonAsync(response)).GetProperty("errors");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(errors.TryGetProperty("name", out _));
        Assert.True(errors.TryGetProperty("userId", out _));
        Assert.True(errors.TryGetProperty("admin", out _));
    }

    private static HttpRequestMessage WithKey(HttpMethod method, string url, string key, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("X-Api-Key", key);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }
}
