using System.Net;
using System.Text.Json;
using DevMentor.Core.Caching;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Account;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>
/// Which storage account (AzureWebJobsStorage, the Functions conventions) and cache the settings
/// pick, how readiness reports them, and how bad or superseded settings are refused.
/// </summary>
public sealed class BackendSelectionTests
{
    [Fact]
    public async Task A_connection_string_selects_that_account_and_readiness_creates_the_named_container()
    {
        var azurite = await TestAzurite.SharedAsync();
        var container = TestAzurite.NewContainer("sel");
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("backend-azure"), new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Blob:Container"] = container,
        });

        var store = Assert.IsType<AzureBlobStore>(app.Services.GetRequiredService<IBlobStore>());
        Assert.IsType<InProcessCache>(app.Services.GetRequiredService<ICache>());
        Assert.IsType<InProcessRateLimitCounters>(app.Services.GetRequiredService<IRateLimitCounters>());
        var (status, body) = await ReadinessAsync(app);

        Assert.Equal(HttpStatusCode.OK, status);
        var description = body.GetProperty("checks").GetProperty("blobs").GetProperty("description").GetString()!;
        Assert.StartsWith($"Azure Blob Storage container '{container}' at {azurite.BlobEndpoint} (connection string from AzureWebJobsStorage, account key)", description, StringComparison.Ordinal);
        Assert.DoesNotContain(StorageAccount.DevelopmentAccountKey, description, StringComparison.Ordinal);
        Assert.True(await store.Container.ExistsAsync());
        await store.PutAsync("selected", new MemoryStream([1]));
        Assert.True(await store.ExistsAsync("selected"));
        Assert.False(body.GetProperty("checks").TryGetProperty("redis", out _));
    }

    [Fact]
    public async Task A_blob_store_that_is_down_makes_readiness_503_naming_it_and_it_recovers()
    {
        // An Azurite of this test's own, so stopping it disturbs no other test; the service is a child process, as the
        // Durable backend of a host whose storage vanished keeps retrying its partition leases until its process ends.
        await using var azurite = await TestAzurite.StartAsync("readiness");
        var scratch = Path.Combine(TestPostgres.ScratchRoot, "readiness-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scratch);
        await using var service = ServiceProcess.Start(scratch, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("backend-down"),
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(scratch, "data"),
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
        });
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, await ReadinessStatusAsync(service, HttpStatusCode.OK));

        azurite.Server.Stop();
        using (var response = await service.Client.GetAsync("/health/ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("10", response.Headers.GetValues("Retry-After").Single());
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var blobs = body.RootElement.GetProperty("checks").GetProperty("blobs");
            Assert.Equal("Unhealthy", blobs.GetProperty("status").GetString());
            Assert.Contains($"127.0.0.1:{azurite.BlobPort}", blobs.GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        }

        await azurite.Server.StartAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, await ReadinessStatusAsync(service, HttpStatusCode.OK));

        // After the outage a SIGTERM still ends the service promptly: the Durable backend, whose partition leases
        // cannot be released against storage that failed, is not waited for past its stop bound.
        service.Terminate();
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, await service.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15), $"the service took {stopping.Elapsed.TotalSeconds:0.0} s to stop after SIGTERM");
    }

    /// <summary>Polls readiness for up to 30 s until it answers <paramref name="expected"/>; returns the last status.</summary>
    private static async Task<HttpStatusCode> ReadinessStatusAsync(ServiceProcess service, HttpStatusCode expected)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var response = await service.Client.GetAsync("/health/ready");
            if (response.StatusCode == expected || watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                return response.StatusCode;
            }

            await Task.Delay(250);
        }
    }

    [Fact]
    public void Nothing_configured_is_the_embedded_azurite()
    {
        var settings = Load([]);

        Assert.True(settings.UsesEmbeddedAzurite);
        Assert.Equal(StorageAccountSource.Embedded, settings.Storage.Source);
        Assert.Equal("devmentor", settings.BlobContainer);
        Assert.True(Load(new() { ["AzureWebJobsStorage"] = "  " }).UsesEmbeddedAzurite); // empty is unset, as in local.settings.json
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true", "http://127.0.0.1:10000/devstoreaccount1", "UseDevelopmentStorage=true")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=prodacct;AccountKey=AAAA;EndpointSuffix=core.windows.net", "https://prodacct.blob.core.windows.net/", "account key")]
    [InlineData("BlobEndpoint=https://sas.blob.core.windows.net/;SharedAccessSignature=sv=2024-11-04&sig=c2VjcmV0", "https://sas.blob.core.windows.net/", "SAS")]
    public void A_connection_string_in_AzureWebJobsStorage_wins_and_is_described_without_its_secret(string connectionString, string blobEndpoint, string scheme)
    {
        var settings = Load(new()
        {
            ["AzureWebJobsStorage"] = connectionString,
            ["AzureWebJobsStorage:accountName"] = "ignoredacct", // lower in the Functions order
        });

        Assert.Equal(StorageAccountSource.ConnectionString, settings.Storage.Source);
        var account = settings.Storage.ToAccount();
        Assert.Equal(connectionString, account.ConnectionString);
        Assert.Equal(new Uri(blobEndpoint), account.BlobServiceUri);
        Assert.Null(account.Credential);
        Assert.Contains(scheme, account.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", account.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", account.Description + account.BlobServiceUri, StringComparison.Ordinal);
        Assert.DoesNotContain("AAAA", account.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_account_name_gives_every_service_uri_with_the_managed_identity()
    {
        var settings = Load(new()
        {
            ["AzureWebJobsStorage:accountName"] = "prodacct", // AzureWebJobsStorage__accountName in the app settings
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "0b6b8b0e-8d8e-4b8c-9c1e-3a1d2f0e4c5a",
        }).Storage;

        Assert.Equal(StorageAccountSource.Identity, settings.Source);
        var account = settings.ToAccount();
        Assert.Null(account.ConnectionString);
        Assert.Equal(new Uri("https://prodacct.blob.core.windows.net"), account.BlobServiceUri);
        Assert.Equal(new Uri("https://prodacct.queue.core.windows.net"), account.QueueServiceUri);
        Assert.Equal(new Uri("https://prodacct.table.core.windows.net"), account.TableServiceUri);
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(account.Credential);
        Assert.Contains("client id 0b6b8b0e-8d8e-4b8c-9c1e-3a1d2f0e4c5a", account.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Service_uris_name_the_endpoints_and_default_azure_credential_serves_without_credential_setting()
    {
        var derived = Load(new() { ["AzureWebJobsStorage:blobServiceUri"] = "https://hostacct.blob.core.windows.net" }).Storage;
        Assert.Equal(new Uri("https://hostacct.queue.core.windows.net"), derived.QueueServiceUri);
        Assert.Equal(new Uri("https://hostacct.table.core.windows.net"), derived.TableServiceUri);
        Assert.IsType<Azure.Identity.DefaultAzureCredential>(derived.CreateCredential());
        Assert.Equal("AzureWebJobsStorage:blobServiceUri", derived.Origin);

        var explicitUris = Load(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://blobs.example.net/acct",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://queues.example.net/acct",
            ["AzureWebJobsStorage:tableServiceUri"] = "https://tables.example.net/acct",
        }).Storage;
        Assert.Equal(new Uri("https://queues.example.net/acct"), explicitUris.QueueServiceUri);
        Assert.Equal(new Uri("https://tables.example.net/acct"), explicitUris.TableServiceUri);
        Assert.Null(Load(new() { ["AzureWebJobsStorage:blobServiceUri"] = "https://blobs.example.net/acct" }).Storage.QueueServiceUri);
    }

    [Theory]
    [InlineData("Blob:Container", "Bad_Name", "Blob:Container: 'Bad_Name' is not a valid container name")]
    [InlineData("Blob:Container", "ab", "Blob:Container: 'ab' is not a valid container name: it must be 3 to 63 characters long")]
    [InlineData("AzureWebJobsStorage", "AccountName=x;AccountKey=s3cr3t!!", "AzureWebJobsStorage: not a valid storage connection string")]
    [InlineData("AzureWebJobsStorage", "nonsense", "AzureWebJobsStorage: not a valid storage connection string")]
    [InlineData("AzureWebJobsStorage:blobServiceUri", "not a uri", "AzureWebJobsStorage:blobServiceUri: 'not a uri' is not an https service URI")]
    [InlineData("AzureWebJobsStorage:blobServiceUri", "http://acct.blob.core.windows.net", "tokens are only sent over TLS")]
    [InlineData("AzureWebJobsStorage:accountName", "Not_An_Account", "AzureWebJobsStorage:accountName: 'Not_An_Account' is not a storage account name")]
    [InlineData("AzureWebJobsStorage:credential", "password", "AzureWebJobsStorage:credential: 'password' is not supported")]
    [InlineData("ConnectionStrings:Blob", "UseDevelopmentStorage=true", "ConnectionStrings:Blob: no longer read (docs/adr/0011): put the connection string in AzureWebJobsStorage")]
    [InlineData("Blob:ServiceUri", "https://acct.blob.core.windows.net", "Blob:ServiceUri: no longer read (docs/adr/0011): set AzureWebJobsStorage__blobServiceUri")]
    [InlineData("Blob:ClientId", "some-id", "Blob:ClientId: no longer read (docs/adr/0011): set AzureWebJobsStorage__clientId")]
    [InlineData("ConnectionStrings:Redis", "127.0.0.1:6379,bogusOption=1", "ConnectionStrings:Redis: not a valid Redis configuration string")]
    [InlineData("Redis:OperationTimeoutMs", "0", "Redis:OperationTimeoutMs: '0' is not a whole number")]
    public void Bad_backend_settings_stop_the_start_naming_the_key(string key, string value, string expected)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => Load(new() { [key] = value }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Superseded_settings_left_empty_are_not_an_error()
    {
        var settings = Load(new() { ["ConnectionStrings:Blob"] = "", ["Blob:ServiceUri"] = " ", ["Blob:ClientId"] = "" });

        Assert.True(settings.UsesEmbeddedAzurite);
    }

    private static ServiceSettings Load(Dictionary<string, string?> values) =>
        ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), TestPostgres.ScratchRoot);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadinessAsync(TestApp app)
    {
        using var response = await app.Client.GetAsync("/health/ready");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
