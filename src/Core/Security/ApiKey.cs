using System.Security.Cryptography;
using System.Text;

namespace DevMentor.Core.Security;

/// <summary>An API key as listed: never the key itself, only its visible prefix.</summary>
public sealed record ApiKey(Guid Id, string Name, string Prefix, string UserId, bool Admin, bool Bootstrap, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>The answer to creating a key: the only time the key is shown.</summary>
public sealed record CreatedApiKey(Guid Id, string Name, string Prefix, string UserId, bool Admin, DateTimeOffset CreatedAt, string Key);

public sealed record ApiKeyPage(IReadOnlyList<ApiKey> Items);

/// <summary>The principal a valid key stands for.</summary>
public sealed record ApiKeyPrincipal(Guid Id, string UserId, bool Admin);

public static class ApiKeySecrets
{
    public const string Scheme = "dmk";

    /// <summary>
    /// <c>dmk_&lt;8 hex prefix&gt;_&lt;43 base64url chars&gt;</c>: 256 random bits, so a plain SHA-256
    /// (no salt, no stretching) is enough to store it and to look it up by.
    /// </summary>
    public static (string Key, string Prefix) Generate()
    {
        var prefix = $"{Scheme}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return ($"{prefix}_{secret}", prefix);
    }

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
