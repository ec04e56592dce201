using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>HS256 tokens as the Auth Service issues them, and the settings that make the app accept them.</summary>
public static class TestAuth
{
    public const string SigningKey = "test-signing-key-0123456789abcdef-0123456789";
    public const string Issuer = "devmentor-auth";
    public const string Audience = "devmentor";

    /// <summary>Settings for a test app: JWT on, rate limits off unless a test turns them on.</summary>
    public static Dictionary<string, string?> Settings(params (string Key, string? Value)[] overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Jwt:SigningKey"] = SigningKey,
            ["Auth:Jwt:Issuer"] = Issuer,
            ["Auth:Jwt:Audience"] = Audience,
            ["RateLimits:Enabled"] = "false",
            // Build tests clone sample repositories they make under the temp folder, as signed-in users:
            // an operator's allow-list, as Repositories:AllowedLocalPaths is meant to be used.
            ["Repositories:AllowedLocalPaths"] = Path.GetTempPath(),
            // Every push queues a code sync; most tests' projects point at github.com: no sync
            // orchestrations (no background fetches) unless a test turns them on, as the sync tests do.
            ["Sync:Enabled"] = "false",
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    public static string Token(string subject, bool admin = false, DateTime? expires = null, string issuer = Issuer, string audience = Audience, string signingKey = SigningKey)
    {
        var claims = new List<Claim> { new("sub", subject) };
        if (admin)
        {
            claims.Add(new Claim("role", "admin"));
        }

        var expiry = expires ?? DateTime.UtcNow.AddHours(1);
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = issuer,
            Audience = audience,
            NotBefore = expiry.AddHours(-2),
            IssuedAt = expiry.AddHours(-2),
            Expires = expiry,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(signingKey)), SecurityAlgorithms.HmacSha256),
        });
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, string? user, string? json = null, bool admin = false)
    {
        var request = new HttpRequestMessage(method, url);
        if (user is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(user, admin));
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        return request;
    }
}
