using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>GitHub App credentials (GitHub:AppId, GitHub:AppPrivateKey in PEM, GitHub:InstallationId).</summary>
public sealed record GitHubAppCredentials(string AppId, string PrivateKeyPem, long InstallationId);

/// <summary>
/// Authenticates as a GitHub App: an app JWT signed RS256 (valid 9 minutes, iat backdated a minute
/// for clock drift) is exchanged for an installation access token, cached until a minute before
/// it expires. Concurrent callers share one exchange.
/// </summary>
public sealed class GitHubAppTokens(IHttpClientFactory httpClients, GitHubOptions options, TimeProvider clock) : IDisposable
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (string Token, DateTimeOffset ExpiresAt)? _cached;

    public async Task<string> GetInstallationTokenAsync(CancellationToken cancellationToken)
    {
        var app = options.App ?? throw new InvalidOperationException("GitHub App credentials are not configured.");
        if (_cached is { } fresh && fresh.ExpiresAt - TimeSpan.FromMinutes(1) > clock.GetUtcNow())
        {
            return fresh.Token;
        }

        await _refresh.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } refreshed && refreshed.ExpiresAt - TimeSpan.FromMinutes(1) > clock.GetUtcNow())
            {
                return refreshed.Token;
            }

            using var http = httpClients.CreateClient(GitHubStatusClient.HttpClientName);
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.ApiBaseUrl, $"app/installations/{app.InstallationId}/access_tokens"));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CreateAppJwt(app, clock.GetUtcNow()));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("DevMentor-Project-Service", "1.0"));
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new Statuses.CommitStatusException($"GitHub refused an installation token for installation {app.InstallationId}: {(int)response.StatusCode}.");
            }

            var token = await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(cancellationToken), GitHubAppJsonContext.Default.InstallationToken, cancellationToken)
                ?? throw new Statuses.CommitStatusException("GitHub answered an empty installation token.");
            _cached = (token.Token, token.ExpiresAt);
            return token.Token;
        }
        finally
        {
            _refresh.Release();
        }
    }

    public static string CreateAppJwt(GitHubAppCredentials app, DateTimeOffset now)
    {
        var header = Base64Url("""{"alg":"RS256","typ":"JWT"}"""u8);
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(
            new AppJwtPayload(now.AddSeconds(-60).ToUnixTimeSeconds(), now.AddMinutes(9).ToUnixTimeSeconds(), app.AppId),
            GitHubAppJsonContext.Default.AppJwtPayload));
        using var rsa = RSA.Create();
        rsa.ImportFromPem(app.PrivateKeyPem);
        var signature = rsa.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    public void Dispose() => _refresh.Dispose();

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

public sealed record InstallationToken([property: JsonPropertyName("token")] string Token, [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt);

public sealed record AppJwtPayload([property: JsonPropertyName("iat")] long IssuedAt, [property: JsonPropertyName("exp")] long ExpiresAt, [property: JsonPropertyName("iss")] string Issuer);

[JsonSerializable(typeof(InstallationToken))]
[JsonSerializable(typeof(AppJwtPayload))]
internal sealed partial class GitHubAppJsonContext : JsonSerializerContext;
