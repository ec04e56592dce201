using System.Net;
using System.Text.Json;
using DevMentor.Core.Caching;
using DevMentor.Core.RateLimiting;
using DevMentor.Core.Storage;
using DevMentor.Core.Storage.Azure;
using DevMentor.Core.Storage.FileSystem;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>Which blob store and cache the settings pick, how readiness reports them, and how bad settings are refused.</summary>
public sealed class BackendSelectionTests
{
    [Fact]
    public async Task With_nothing_configured_blobs_go_to_the_data_dir_and_the_cache_stays_in_process()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("backend-default"));

        var store = Assert.IsType<FileSystemBlobStore>(app.Services.GetRequiredService<IBlobStore>());
        var settings = app.Services.GetRequiredService<ServiceSettings>();
        Assert.Equal(Path.Combine(settings.DataDirectory, "blobs"), store.RootDirectory);
        Assert.IsType<InProcessCache>(app.Services.GetRequiredService<ICache>());
        Assert.IsType<InProcessRateLimitCounters>(app.Services.GetRequiredService<IRateLimitCounters>());

        var (status, body) = await ReadinessAsync(app);
        Assert.Equal(HttpStatusCode.OK, status);
        var blobs = body.GetProperty("checks").GetProperty("blobs");
        Assert.Equal("Healthy", blobs.GetProperty("status").GetString());
        Assert.Equal($"filesystem at {store.RootDirectory}", blobs.GetProperty("description").GetString());
        Assert.False(body.GetProperty("checks").TryGetProperty("redis", out _));
    }

    [Fact]
    public async Task A_blob_connection_string_selects_azure_and_readiness_creates_the_named_container()
    {
        var azurite = await TestAzurite.SharedAsync();
        var container = "sel" + Guid.NewGuid().ToString("N")[..10];
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("backend-azure"), new Dictionary<string, string?>
        {
            ["ConnectionStrings:Blob"] = azurite.ConnectionString,
            ["Blob:Container"] = container,
        });

        var store = Assert.IsType<AzureBlobStore>(app.Services.GetRequiredService<IBlobStore>());
        var (status, body) = await ReadinessAsync(app);

        Assert.Equal(HttpStatusCode.OK, status);
        var description = body.GetProperty("checks").GetProperty("blobs").GetProperty("description").GetString()!;
        Assert.StartsWith($"Azure Blob Storage container '{container}' at {azurite.BlobEndpoint} (SharedKey)", description, StringComparison.Ordinal);
        Assert.DoesNotContain(AzureStorageConnectionString.DevelopmentAccountKey, description, StringComparison.Ordinal);
        await store.PutAsync("selected", new MemoryStream([1]));
        Assert.True(await store.ExistsAsync("selected"));
    }

    [Fact]
    public async Task An_unreachable_blob_store_makes_readiness_fail_naming_it()
    {
        var port = ChildServer.FreePort();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("backend-down"), new Dictionary<string, string?>
        {
            ["ConnectionStrings:Blob"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzureStorageConnectionString.DevelopmentAccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
        });

        var (status, body) = await ReadinessAsync(app);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        var blobs = body.GetProperty("checks").GetProperty("blobs");
        Assert.Equal("Unhealthy", blobs.GetProperty("status").GetString());
        Assert.Contains($"127.0.0.1:{port}", blobs.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_service_uri_alone_selects_azure_with_bearer_tokens()
    {
        var settings = Load(new() { ["Blob:ServiceUri"] = "https://prodacct.blob.core.windows.net" });

        Assert.True(settings.UsesAzureBlobStorage);
        Assert.Equal(new Uri("https://prodacct.blob.core.windows.net"), settings.BlobServiceUri);
        Assert.Equal("devmentor", settings.BlobContainer);
    }

    [Theory]
    [InlineData("Blob:Container", "Bad_Name", "Blob:Container: 'Bad_Name' is not a valid container name")]
    [InlineData("Blob:Container", "ab", "Blob:Container: 'ab' is not a valid container name: it must be 3 to 63 characters long")]
    [InlineData("ConnectionStrings:Blob", "AccountName=x", "ConnectionStrings:Blob: not a valid Azure Storage connection string: it has neither AccountKey nor SharedAccessSignature")]
    [InlineData("ConnectionStrings:Blob", "AccountName=x;AccountKey=s3cr3t!!", "ConnectionStrings:Blob: not a valid Azure Storage connection string: AccountKey is not base64")]
    [InlineData("Blob:ServiceUri", "not a uri", "Blob:ServiceUri: 'not a uri' is not a blob service URI")]
    [InlineData("ConnectionStrings:Redis", "127.0.0.1:6379,bogusOption=1", "ConnectionStrings:Redis: not a valid Redis configuration string")]
    [InlineData("Redis:OperationTimeoutMs", "0", "Redis:OperationTimeoutMs: '0' is not a whole number")]
    public void Bad_backend_settings_stop_the_start_naming_the_key(string key, string value, string expected)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => Load(new() { [key] = value }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_string_and_a_service_uri_together_are_ambiguous()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => Load(new()
        {
            ["ConnectionStrings:Blob"] = "UseDevelopmentStorage=true",
            ["Blob:ServiceUri"] = "https://prodacct.blob.core.windows.net",
        }));

        Assert.Contains("Blob:ServiceUri: set either it (managed identity) or ConnectionStrings:Blob, not both.", error.Message, StringComparison.Ordinal);
    }

    private static ServiceSettings Load(Dictionary<string, string?> values) =>
        ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), TestPostgres.ScratchRoot);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadinessAsync(TestApp app)
    {
        using var response = await app.Client.GetAsync("/health/ready");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
