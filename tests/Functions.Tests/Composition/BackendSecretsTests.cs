using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>
/// The real executable's own log output: the start-up log names each backend and where it is, and
/// no secret of theirs (a SAS signature, a Redis password) ever appears, not even in failures.
/// </summary>
public sealed class BackendSecretsTests
{
    private const string RedisPassword = "r3dis-pa55-w0rd";
    private const string SasSignature = "c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";

    [Fact]
    public async Task The_start_up_log_names_the_backends_and_no_secret_appears_through_failures_and_reconnections()
    {
        var azurite = await TestAzurite.SharedAsync();
        await using var redis = await TestRedis.StartAsync("secrets");
        await using (var setup = await RedisAdmin.ConnectAsync(redis))
        {
            await setup.OnEveryNodeAsync("CONFIG", "SET", "requirepass", RedisPassword);
        }

        var dataDirectory = Path.Combine(TestPostgres.ScratchRoot, "secrets-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDirectory);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("backend-secrets"),
            ["DEVMENTOR_DATA_DIR"] = dataDirectory,
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
            // A SAS the emulator refuses (its signature is made up): every blob call fails with 403.
            ["AzureWebJobsStorage"] = $"BlobEndpoint={azurite.BlobEndpoint};SharedAccessSignature=sv=2024-11-04&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&sig={SasSignature}",
            ["ConnectionStrings__Redis"] = $"127.0.0.1:{redis.Port},password={RedisPassword}",
            ["Redis__KeyPrefix"] = "secrets:",
        };

        await using var service = ServiceProcess.Start(dataDirectory, environment);
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var ready = await WaitForRedisAsync(service, "Healthy");
        using (var first = System.Text.Json.JsonDocument.Parse(ready))
        {
            var blobs = first.RootElement.GetProperty("checks").GetProperty("blobs");
            Assert.Equal("Unhealthy", blobs.GetProperty("status").GetString());
            Assert.Contains("failed: 403", blobs.GetProperty("description").GetString(), StringComparison.Ordinal); // refused, and said so
        }

        // Every client is thrown out: the service notices, logs the outage and reconnects with its password.
        await using (var admin = await RedisAdmin.ConnectAsync(redis, RedisPassword))
        {
            await admin.OnEveryNodeAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        }

        var watch = Stopwatch.StartNew();
        while (!service.Output.Contains("is unreachable", StringComparison.Ordinal) && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        ready += await WaitForRedisAsync(service, "Healthy");

        // The console log is JSON: undo its \uXXXX escapes, so an escaped secret could not slip past.
        var output = Regex.Replace(service.Output, @"\\u([0-9a-fA-F]{4})", m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
        Assert.Contains($"Blob store: Azure Blob Storage container 'devmentor' at {azurite.BlobEndpoint} (connection string from AzureWebJobsStorage, SAS)", output, StringComparison.Ordinal);
        Assert.Contains($"Cache and rate-limit counters: Redis at 127.0.0.1:{redis.Port}", output, StringComparison.Ordinal);
        Assert.Contains("is unreachable", output, StringComparison.Ordinal);
        foreach (var secret in new[] { RedisPassword, SasSignature, Uri.UnescapeDataString(SasSignature), "sig=" })
        {
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, ready, StringComparison.Ordinal);
        }
    }

    /// <summary>Polls /health/ready until Redis's check has <paramref name="status"/>; returns the body.</summary>
    private static async Task<string> WaitForRedisAsync(ServiceProcess service, string status)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await service.Client.GetAsync("/health/ready");
            var body = await response.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode); // the blob store is refused throughout: 503
            using var document = System.Text.Json.JsonDocument.Parse(body);
            if (document.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString() == status)
            {
                return body;
            }

            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"Redis did not become {status}: {body}\n{service.Output}");
            await Task.Delay(200);
        }
    }
}
