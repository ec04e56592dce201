using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Octokit;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>GitHub App credentials (GitHub:AppId, GitHub:AppPrivateKey in PEM, GitHub:InstallationId).</summary>
public sealed record GitHubAppCredentials(string AppId, string PrivateKeyPem, long InstallationId)
{
    // Records print their members: keep the key out of any log line that formats this object.
    public override string ToString() => $"GitHubAppCredentials {{ AppId = {AppId}, InstallationId = {InstallationId}, PrivateKeyPem = *** }}";
}

/// <summary>
/// Authenticates as a GitHub App: an app JWT signed RS256 (valid 9 minutes, iat backdated a minute
/// for clock drift) is exchanged through Octokit for an installation access token, cached until a
/// minute before it expires. Concurrent callers share one exchange. The JWT itself is signed here:
/// Octokit leaves that to its users, and three claims under RS256 do not need a JWT library in Core.
/// </summary>
public sealed class GitHubAppTokens(GitHubOptions options, TimeProvider clock) : IDisposable
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (string Token, DateTimeOffset ExpiresAt)? _cached;
    private GitHubClient? _appClient;

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

            _appClient ??= GitHubApi.Create(options.ApiBaseUrl, new AppJwtCredentials(app, clock));
            var token = await GitHubApi.CallAsync(c => c.GitHubApps.CreateInstallationToken(app.InstallationId), _appClient,
                $"for an installation token of installation {app.InstallationId}", cancellationToken);
            if (string.IsNullOrEmpty(token.Token))
            {
                throw new GitHubApiException(null, "GitHub answered an empty installation token.");
            }

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

    /// <summary>A fresh app JWT for each request of the exchange.</summary>
    private sealed class AppJwtCredentials(GitHubAppCredentials app, TimeProvider clock) : ICredentialStore
    {
        public Task<Credentials> GetCredentials() => Task.FromResult(new Credentials(CreateAppJwt(app, clock.GetUtcNow()), AuthenticationType.Bearer));
    }
}

public sealed record AppJwtPayload([property: JsonPropertyName("iat")] long IssuedAt, [property: JsonPropertyName("exp")] long ExpiresAt, [property: JsonPropertyName("iss")] string Issuer);

[JsonSerializable(typeof(AppJwtPayload))]
internal sealed partial class GitHubAppJsonContext : JsonSerializerContext;
