using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DevMentor.Core.Security;

/// <summary>
/// Authenticates <c>X-Api-Key</c> against the stored hashes; the key acts as the principal it is bound to.
/// HTTP Basic with the key as the password (any user name) is the same key: what git and other tools
/// that only speak Basic send (the hosted repositories' smart HTTP endpoint).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string key;
        if (Request.Headers.TryGetValue(HeaderName, out var values))
        {
            key = values.ToString();
        }
        else if (BasicPassword(Request.Headers.Authorization.ToString()) is { } password)
        {
            key = password;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        if (key.Length is 0 or > 512)
        {
            return AuthenticateResult.Fail("Malformed API key.");
        }

        var principal = await keys.FindActiveAsync(key, Context.RequestAborted);
        if (principal is null)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        var claims = new List<Claim>
        {
            new(DevMentorClaims.Subject, principal.UserId),
            new(DevMentorClaims.ApiKeyId, principal.Id.ToString()),
        };
        if (principal.Admin)
        {
            claims.Add(new Claim(DevMentorClaims.Role, DevMentorClaims.AdminRole));
        }

        var identity = new ClaimsIdentity(claims, SchemeName, DevMentorClaims.Subject, DevMentorClaims.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>True when the request carries Basic credentials (judged by this handler, not the JWT one).</summary>
    public static bool HasBasic(string authorization) => authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);

    /// <returns>The password of <c>Authorization: Basic base64(user:password)</c>; "" when it is malformed; null when it is no Basic header.</returns>
    public static string? BasicPassword(string authorization)
    {
        if (!HasBasic(authorization))
        {
            return null;
        }

        try
        {
            var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? "" : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return "";
        }
    }
}
