using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Functions.Tests.Infrastructure;
using Npgsql;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>
/// The real executable's output: one JSON object per line, request logs carrying the caller's W3C
/// trace id, a start log naming every backend and where it is, and no secret anywhere.
/// </summary>
public sealed class StartupLogTests
{
    [Fact]
    public async Task Logs_are_json_lines_with_the_trace_id_name_the_backends_and_never_hold_a_secret()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("startlog");
        var password = new NpgsqlConnectionStringBuilder(connectionString).Password!;
        const string signingKey = "jwt-signing-key-that-is-never-logged-0123456789";
        const string bootstrapKey = "bootstrap-admin-key-never-logged-0123456789";
        const string gitHubToken = "ghp_never_logged_0123456789abcdefABCDEF";
        var workDir = Directory.CreateTempSubdirectory("startlog-").FullName;
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(workDir, "data"),
            ["Auth__Jwt__SigningKey"] = signingKey,
            ["Auth__BootstrapApiKey"] = bootstrapKey,
            ["GitHub__Token"] = gitHubToken,
            // The run stays queued: its start is what is logged.
            ["Pipelines__Runner__Enabled"] = "false",
        });
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        using (var create = new HttpRequestMessage(HttpMethod.Post, "/projects") { Content = new StringContent("""{"name":"Logged"}""", Encoding.UTF8, "application/json") })
        {
            create.Headers.Add("X-Api-Key", bootstrapKey);
            using var created = await service.Client.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/projects/logged/build");
        request.Headers.Add("X-Api-Key", bootstrapKey);
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using (var response = await service.Client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await WaitUntilAsync(() => service.Output.Contains("started by manual", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        var entries = service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToList();

        Assert.All(entries, e =>
        {
            Assert.NotNull(e["Timestamp"]);
            Assert.NotNull(e["LogLevel"]);
            Assert.NotNull(e["Category"]);
            Assert.NotNull(e["Message"]);
        });
        var messages = entries.Select(e => (string)e["Message"]!).ToList();
        Assert.Contains(messages, m => m.StartsWith("Database: PostgreSQL at 127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Storage (AzureWebJobsStorage): http://127.0.0.1:", StringComparison.Ordinal) && m.EndsWith("; from AzureWebJobsStorage", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Blob store: Azure Blob Storage container 'svc", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("Cache and rate-limit counters: in-process", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains($"listening on http://127.0.0.1:{service.Port}", StringComparison.Ordinal));

        var firing = Assert.Single(entries, e => ((string)e["Message"]!).Contains("started by manual", StringComparison.Ordinal));
        var scopes = firing["Scopes"]!.AsArray();
        Assert.True(scopes.Any(s => s is JsonObject scope && (string?)scope["TraceId"] == traceId),
            $"no scope of the run's start carries the request's trace id {traceId}: {scopes.ToJsonString()}");

        foreach (var secret in new[] { password, signingKey, bootstrapKey, gitHubToken, DevMentor.Core.Storage.Account.StorageAccount.DevelopmentAccountKey })
        {
            Assert.DoesNotContain(secret, service.Output, StringComparison.Ordinal);
        }
    }

    private static JsonObject Parse(string line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            Assert.Fail($"not a JSON log line ({e.Message}): {line}");
            return null!;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
