using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Storage;

/// <summary>
/// Identity-based AzureWebJobsStorage end to end, as in Azure: the real executable is given only
/// AzureWebJobsStorage__blobServiceUri, __credential=managedidentity and __clientId, and the App
/// Service managed-identity endpoint (IDENTITY_ENDPOINT/IDENTITY_HEADER, here a loopback fake that
/// records each token request). The account is an Azurite over HTTPS that checks Bearer tokens
/// (--oauth basic): no key is configured anywhere, so every request it accepts carried a token.
/// </summary>
public sealed class IdentityStorageTests
{
    private const string IdentityHeader = "identity-header-never-logged";

    [Fact]
    public async Task A_managed_identity_reaches_the_blob_endpoint_with_bearer_tokens_and_a_token_azurite_refuses_is_a_clear_503()
    {
        var scratch = Path.Combine(TestPostgres.ScratchRoot, "oauth-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(scratch);
        var (certificate, key) = WriteLoopbackCertificate(scratch);
        await using var azurite = await TestAzurite.StartAsync("oauth", "--oauth", "basic", "--cert", certificate, "--key", key);
        await using var identity = await FakeRepositoryHost.StartAsync();
        const string clientId = "7d3e8f00-1b2c-4d5e-8f90-a1b2c3d4e5f6";
        var database = await TestPostgres.CreateDatabaseAsync("oauth");

        // A token Azurite accepts (issuer and audience of Microsoft Entra ID for Storage).
        var goodToken = Token("https://storage.azure.com");
        identity.Responses["/msi/token"] = (200, TokenResponse(goodToken));
        await using (var service = Start(scratch, azurite, identity, clientId, database, TestAzurite.NewContainer("mi")))
        {
            await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            // The first check fetches a token, shakes hands over TLS and creates the container: on a loaded
            // machine that can pass readiness's 3 s limit, so readiness is asked until it settles.
            var (status, body) = await ReadinessAsync(service, b => b.Contains("\"blobs\":{\"status\":\"Healthy\"", StringComparison.Ordinal));
            Assert.True(status == HttpStatusCode.OK, body + service.Output);
            using var document = JsonDocument.Parse(body);
            var blobs = document.RootElement.GetProperty("checks").GetProperty("blobs");
            Assert.Equal("Healthy", blobs.GetProperty("status").GetString());
            Assert.Contains($"at {azurite.BlobEndpoint} (Microsoft Entra ID tokens from the managed identity, client id {clientId}; AzureWebJobsStorage:blobServiceUri)",
                blobs.GetProperty("description").GetString(), StringComparison.Ordinal);

            // The SDK asked the managed-identity endpoint for a Storage token as that identity, with the header Azure sets.
            var call = Assert.Single(identity.Calls.Where(c => c.PathAndQuery.StartsWith("/msi/token", StringComparison.Ordinal)).Take(1));
            Assert.Equal("GET", call.Method);
            Assert.True(call.PathAndQuery.Contains("resource=https://storage.azure.com", StringComparison.Ordinal) || call.PathAndQuery.Contains("resource=https%3A%2F%2Fstorage.azure.com", StringComparison.Ordinal), call.PathAndQuery);
            Assert.Contains($"client_id={clientId}", call.PathAndQuery, StringComparison.Ordinal);
            Assert.Equal(IdentityHeader, call.Headers["X-IDENTITY-HEADER"]);
            foreach (var secret in new[] { goodToken, goodToken.Split('.')[1], IdentityHeader })
            {
                Assert.DoesNotContain(secret, service.Output, StringComparison.Ordinal);
            }
        }

        // A token for another audience: Azurite refuses it, readiness says so (503) with what the identity needs.
        identity.Responses["/msi/token"] = (200, TokenResponse(Token("https://vault.azure.net")));
        await using (var refused = Start(scratch, azurite, identity, clientId, database, TestAzurite.NewContainer("mi")))
        {
            await refused.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            var (status, body) = await ReadinessAsync(refused, b => b.Contains("failed: 403", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            using var document = JsonDocument.Parse(body);
            var description = document.RootElement.GetProperty("checks").GetProperty("blobs").GetProperty("description").GetString()!;
            Assert.Contains("failed: 403", description, StringComparison.Ordinal);
            Assert.Contains("Storage Blob Data Contributor", description, StringComparison.Ordinal);
        }
    }

    /// <summary>Asks /health/ready until <paramref name="settled"/> holds for its body (at most a minute); returns the last answer.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> ReadinessAsync(ServiceProcess service, Func<string, bool> settled)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await service.Client.GetAsync("/health/ready");
            var body = await response.Content.ReadAsStringAsync();
            if (settled(body) || DateTime.UtcNow > deadline)
            {
                return (response.StatusCode, body);
            }

            await Task.Delay(500);
        }
    }

    private static ServiceProcess Start(string scratch, AzuriteServer azurite, FakeRepositoryHost identity, string clientId, string database, string container) =>
        ServiceProcess.Start(scratch, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = database,
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(scratch, "data-" + container),
            ["Scheduler__Enabled"] = "false",
            ["Pipelines__Runner__Enabled"] = "false",
            ["AzureWebJobsStorage__blobServiceUri"] = azurite.BlobEndpoint.AbsoluteUri,
            ["AzureWebJobsStorage__credential"] = "managedidentity",
            ["AzureWebJobsStorage__clientId"] = clientId,
            ["Blob__Container"] = container,
            // What Azure Functions (App Service) sets for the managed identity; a loopback fake here.
            ["IDENTITY_ENDPOINT"] = new Uri(identity.BaseAddress, "msi/token").AbsoluteUri,
            ["IDENTITY_HEADER"] = IdentityHeader,
            // The service trusts the test's self-signed certificate for 127.0.0.1 (OpenSSL's trust file).
            ["SSL_CERT_FILE"] = Path.Combine(scratch, "azurite.crt"),
        });

    private static string TokenResponse(string token) => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["access_token"] = token,
        ["expires_on"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["resource"] = "https://storage.azure.com",
        ["token_type"] = "Bearer",
        ["client_id"] = "7d3e8f00-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    });

    /// <summary>A JWT shaped like Entra ID's (Azurite's basic OAuth checks issuer, audience and lifetime, not the signature).</summary>
    private static string Token(string audience)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        static string Part(object value) => Base64Url(JsonSerializer.SerializeToUtf8Bytes(value));
        return $"{Part(new { alg = "RS256", typ = "JWT" })}.{Part(new { aud = audience, iss = "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", iat = now - 60, nbf = now - 60, exp = now + 3600, oid = Guid.NewGuid() })}.{Base64Url(RandomNumberGenerator.GetBytes(32))}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A self-signed certificate for 127.0.0.1 (PEM files Azurite serves and the service trusts).</summary>
    private static (string Certificate, string Key) WriteLoopbackCertificate(string directory)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        var certificatePath = Path.Combine(directory, "azurite.crt");
        var keyPath = Path.Combine(directory, "azurite.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
