using System.Net;
using System.Text.Json;
using Azure.Core;
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

    [Fact]
    public async Task A_service_uri_alone_sends_bearer_tokens_from_azure_identity_to_that_endpoint()
    {
        await using var server = await FakeRepositoryHost.StartAsync(); // a loopback stand-in for the account: answers 201
        var settings = Load(new() { ["Blob:ServiceUri"] = server.BaseAddress.AbsoluteUri, ["Blob:Container"] = "tokens" });
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<TokenCredential>(new StaticCredential("identity-token")); // in Azure: DefaultAzureCredential's managed identity
        services.AddBlobStore(settings);
        await using var provider = services.BuildServiceProvider();

        var store = Assert.IsType<AzureBlobStore>(provider.GetRequiredService<IBlobStore>());
        await store.PutAsync("dir/k", new MemoryStream([1, 2, 3]));

        var call = Assert.Single(server.Calls);
        Assert.Equal("PUT", call.Method);
        Assert.Equal("/tokens/dir/k", call.PathAndQuery);
        Assert.Equal("Bearer identity-token", call.Headers["Authorization"]);
        Assert.Equal(AzureBlobStore.ApiVersion, call.Headers["x-ms-version"]);
        Assert.EndsWith("(Bearer)", store.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_its_own_setting_the_blob_store_uses_the_functions_hosts_identity_based_storage()
    {
        const string host = "https://hostacct.blob.core.windows.net";
        var fromHost = Load(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = host, // AzureWebJobsStorage__blobServiceUri in the app settings
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "0b6b8b0e-8d8e-4b8c-9c1e-3a1d2f0e4c5a",
        });
        Assert.True(fromHost.UsesAzureBlobStorage);
        Assert.Equal(new Uri(host), fromHost.BlobServiceUri);
        Assert.Equal("AzureWebJobsStorage:blobServiceUri", fromHost.BlobServiceUriKey);
        Assert.Equal("0b6b8b0e-8d8e-4b8c-9c1e-3a1d2f0e4c5a", fromHost.BlobManagedIdentityClientId);

        // An explicit choice wins over the host's storage, without a conflict.
        var own = Load(new() { ["AzureWebJobsStorage:blobServiceUri"] = host, ["Blob:ServiceUri"] = "https://appacct.blob.core.windows.net", ["Blob:ClientId"] = "app-identity" });
        Assert.Equal(new Uri("https://appacct.blob.core.windows.net"), own.BlobServiceUri);
        Assert.Equal("app-identity", own.BlobManagedIdentityClientId);
        var connection = Load(new() { ["AzureWebJobsStorage:blobServiceUri"] = host, ["ConnectionStrings:Blob"] = "UseDevelopmentStorage=true" });
        Assert.Null(connection.BlobServiceUri);
        Assert.Equal("UseDevelopmentStorage=true", connection.BlobConnectionString);

        // The host's own connection string (local.settings' UseDevelopmentStorage=true) picks nothing: blobs stay on disk.
        Assert.False(Load(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }).UsesAzureBlobStorage);
        var bad = Assert.Throws<InvalidConfigurationException>(() => Load(new() { ["AzureWebJobsStorage:blobServiceUri"] = "not a uri" }));
        Assert.Contains("AzureWebJobsStorage:blobServiceUri: 'not a uri' is not a blob service URI", bad.Message, StringComparison.Ordinal);
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

    private sealed class StaticCredential(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    private static ServiceSettings Load(Dictionary<string, string?> values) =>
        ServiceSettings.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), TestPostgres.ScratchRoot);

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadinessAsync(TestApp app)
    {
        using var response = await app.Client.GetAsync("/health/ready");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}
