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
        using var valid = await GetAsync(app, Token(new RsaSecurityKey(rsa) { KeyId = "auth-key-1" }));
        using var forged = await GetAsync(app, Token(new RsaSecurityKey(rogue) { KeyId = "auth-key-1" }));
        using var hs256 = await GetAsync(app, TestAuth.Token("rita"));

        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, hs256.StatusCode);
    }

    private static string Token(SecurityKey key) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", "rita")]),
        Issuer = "devmentor-auth",
        Audience = "devmentor",
        Expires = DateTime.UtcNow.AddMinutes(10),
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
    });

    private static Task<HttpResponseMessage> GetAsync(TestApp app, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/projects/list");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return app.Client.SendAsync(request);
    }
}
