using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DevMentor.Core.Security;

/// <summary>Authenticates <c>X-Api-Key</c> against the stored hashes; the key acts as the principal it is bound to.</summary>
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
        if (!Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return AuthenticateResult.NoResult();
        }

        var key = values.ToString();
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
}
