using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Projects;

/// <summary>
/// Input no endpoint can store, sent to every operation of the real executable's OpenAPI document:
/// a JSON body in an unknown charset, a string holding an unpaired surrogate or a NUL, a NUL in a
/// query parameter. Each is a 400 problem naming the field, never a 500, signed in or not (the
/// runner endpoints take no user credentials at all).
/// </summary>
public sealed class UglyInputEveryEndpointTests(RealServer server) : IClassFixture<RealServer>
{
    private readonly ServiceProcess _service = server.Service;

    [Fact]
    public async Task An_unknown_charset_surrogate_or_NUL_in_a_body_is_a_400_naming_the_field_on_every_write_operation()
    {
        var operations = (await OperationsAsync()).Where(o => o.Method is "POST" or "PUT" or "PATCH").ToList();
        Assert.True(operations.Count >= 20, $"only {operations.Count} write operations in the OpenAPI document");
        Assert.Contains(operations, o => o.Path == "/runners/register");
        Assert.Contains(operations, o => o.Path.StartsWith("/runners/jobs/", StringComparison.Ordinal));
        var failures = new List<string>();
        foreach (var (method, path, _) in operations)
        {
            var url = Fill(path);
            foreach (var signedIn in new[] { true, false })
            {
                await ExpectFieldAsync(failures, method, url, "application/json; charset=bogus", "{\"name\": \"ok\"}", "Content-Type", signedIn);
                if (path.StartsWith("/webhooks/", StringComparison.Ordinal))
                {
                    continue; // stored as the raw bytes the sender signed; only the charset is checked up front
                }

                await ExpectFieldAsync(failures, method, url, "application/json", "{\"name\": \"\\ud800\"}", "name", signedIn);
                await ExpectFieldAsync(failures, method, url, "application/json; charset=UTF-8", "{\"branch\": \"main\\u0000\"}", "branch", signedIn);
                await ExpectFieldAsync(failures, method, url, "application/merge-patch+json", "{\"settings\": {\"tags\": [\"a\", \"\\udc00b\"]}}", "settings.tags[1]", signedIn);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_NUL_in_a_query_parameter_is_a_400_naming_it_on_every_operation_that_takes_one()
    {
        var operations = await OperationsAsync();
        Assert.Contains(operations, o => o.Path == "/projects/{id}/builds" && o.Method == "GET");
        var failures = new List<string>();
        foreach (var (method, path, declared) in operations)
        {
            // Functions that read the query themselves do not declare it in the document: the names they read go to every operation too.
            foreach (var parameter in declared.Union(QueryNames).Distinct(StringComparer.Ordinal))
            {
                await ExpectFieldAsync(failures, method, $"{Fill(path)}?{parameter}=a%00b", null, null, parameter, signedIn: true);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData("POST", "/projects", """{"name": "ok", "description": "nul \u0000 inside"}""", "description")]
    [InlineData("POST", "/projects/create", """{"name": "\ud83d"}""", "name")]
    [InlineData("POST", "/runners/register", """{"registrationToken": "x", "name": "runner\u0000", "labels": ["linux"]}""", "name")]
    [InlineData("POST", "/runners/register", """{"registrationToken": "x", "name": "runner", "labels": ["linux", "do\u0000cker"]}""", "labels[1]")]
    [InlineData("POST", "/runners/jobs/00000000-0000-0000-0000-000000000001/complete", """{"attempt": 1, "outcome": "succeeded", "outputs": {"k\u0000": "v"}}""", "outputs.k\\u0000")]
    [InlineData("POST", "/runners/jobs/00000000-0000-0000-0000-000000000001/complete", """{"attempt": 1, "outcome": "succeeded", "outputs": {"k": "v\u0000"}}""", "outputs.k")]
    [InlineData("POST", "/projects/00000000-0000-0000-0000-000000000001/deploy", """{"environment": "\udfff"}""", "environment")]
    public async Task The_issues_examples_name_their_field(string method, string url, string json, string field)
    {
        var failures = new List<string>();
        await ExpectFieldAsync(failures, method, url, "application/json", json, field, signedIn: true);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Update_and_merge_patch_refuse_a_NUL_in_name_and_description_of_a_real_project()
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = new StringContent("""{"name": "nul target"}""", Encoding.UTF8, "application/json") };
        create.Headers.Add("X-Api-Key", RealServer.AdminKey);
        using var created = await _service.Client.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();

        var failures = new List<string>();
        await ExpectFieldAsync(failures, "POST", $"/projects/{id}/update", "application/json", """{"name": "a\u0000b"}""", "name", signedIn: true);
        await ExpectFieldAsync(failures, "PATCH", $"/projects/{id}", "application/merge-patch+json", """{"description": "\u0000"}""", "description", signedIn: true);
        await ExpectFieldAsync(failures, "GET", $"/projects/{id}/builds?branch=%00", null, null, "branch", signedIn: true);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static readonly string[] QueryNames =
        ["q", "cursor", "limit", "archived", "status", "branch", "environment", "outcome", "follow", "wait", "project", "attempt", "name", "type", "projectId"];

    private async Task ExpectFieldAsync(List<string> failures, string method, string url, string? contentType, string? body, string field, bool signedIn)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        if (signedIn)
        {
            request.Headers.Add("X-Api-Key", RealServer.AdminKey);
        }

        using var response = await _service.Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var what = $"{method} {url} ({contentType}, {(signedIn ? "signed in" : "anonymous")}) {body}";
        if (response.StatusCode != HttpStatusCode.BadRequest || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            failures.Add($"{what}: {(int)response.StatusCode} {text}");
            return;
        }

        using var problem = JsonDocument.Parse(text);
        if (!problem.RootElement.TryGetProperty("errors", out var errors) || !errors.TryGetProperty(field, out _))
        {
            failures.Add($"{what}: the problem does not name '{field}': {text}");
        }
    }

    private static string Fill(string path) =>
        System.Text.RegularExpressions.Regex.Replace(path, "{[^}]+}", "00000000-0000-0000-0000-000000000001").Replace("{*", "", StringComparison.Ordinal);

    private async Task<List<(string Method, string Path, IReadOnlyList<string> QueryParameters)>> OperationsAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Add("X-Api-Key", RealServer.AdminKey);
        using var response = await _service.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var operations = new List<(string, string, IReadOnlyList<string>)>();
        foreach (var path in document.RootElement.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "patch" or "delete"))
            {
                var query = operation.Value.TryGetProperty("parameters", out var parameters)
                    ? parameters.EnumerateArray().Where(p => p.GetProperty("in").GetString() == "query").Select(p => p.GetProperty("name").GetString()!).ToList()
                    : [];
                operations.Add((operation.Name.ToUpperInvariant(), path.Name, query));
            }
        }

        return operations;
    }
}
