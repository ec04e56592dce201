using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DevMentor.Functions.Tests.Security;

/// <summary>RS256 through Auth:Jwt:Authority: a stand-in Auth Service on loopback serves discovery and its JWKS.</summary>
public sealed class JwksAuthenticationTests
{
    [Fact]
    public async Task Rs256_tokens_are_validated_against_the_authoritys_jwks()
    {
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "auth-key-1" };
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(key);

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var authService = builder.Build();
        authService.MapGet("/.well-known/openid-configuration", (HttpContext context) => Results.Text(
            $$"""{"issuer": "devmentor-auth", "jwks_uri": "http://{{context.Request.Host}}/jwks"}""", "application/json"));
        authService.MapGet("/jwks", () => Results.Text(
            $$"""{"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "{{jwk.Kid}}", "n": "{{jwk.N}}", "e": "{{jwk.E}}"}]}""", "application/json"));
        await authService.StartAsync();
        var authority = authService.Urls.Single();

        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("jwks"), new Dictionary<string, string?>
        {
            ["Auth:Jwt:Authority"] = authority,
            ["Auth:Jwt:Issuer"] = "devmentor-auth",
            ["Auth:Jwt:Audience"] = "devmentor",
            ["RateLimits:Enabled"] = "false",
        });

        using var rogue = RSA.Create(2048);
        var signing = new RsaSecurityKey(rsa) { KeyId = "auth-key-1" };
        using var valid = await GetAsync(app, Token(signing));
        using var forged = await GetAsync(app, Token(new RsaSecurityKey(rogue) { KeyId = "auth-key-1" }));
        using var hs256 = await GetAsync(app, TestAuth.Token("rita"));
        using var otherIssuer = await GetAsync(app, Token(signing, issuer: "someone-else"));
        using var otherAudience = await GetAsync(app, Token(signing, audience: "another-service"));
        using var noSubject = await GetAsync(app, Token(signing, subject: null));
        using var userOnAdminApi = await GetAsync(app, Token(signing), "/apikeys");
        using var adminOnAdminApi = await GetAsync(app, Token(signing, admin: true), "/apikeys");

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, hs256.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherIssuer.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherAudience.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noSubject.StatusCode);
        // role: admin in an RS256 token makes a platform admin, as with HS256.
        Assert.Equal(HttpStatusCode.Forbidden, userOnAdminApi.StatusCode);
        Assert.Equal(HttpStatusCode.OK, adminOnAdminApi.StatusCode);
    }

    private static string Token(SecurityKey key, string issuer = "devmentor-auth", string audience = "devmentor", string? subject = "rita", bool admin = false)
    {
        var claims = new List<Claim>();
        if (subject is not null)
        {
            claims.Add(new Claim("sub", subject));
        }

        if (admin)
        {
            claims.Add(new Claim("role", "admin"));
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Subject = new ClaimsIdentity(claims),
            Issuer = issuer,
            Audience = audience,
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }

    private static Task<HttpResponseMessage> GetAsync(TestApp app, string token, string url = "/projects/list")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return app.Client.SendAsync(request);
    }
}
