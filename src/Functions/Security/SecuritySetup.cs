using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Composition;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace DevMentor.Functions.Security;

/// <summary>Authentication (JWT bearer or API key), the authorization rules every endpoint inherits, and CORS.</summary>
public static class SecuritySetup
{
    public const string Scheme = "DevMentor";
    public const string AdminPolicy = "Admin";

    public static IServiceCollection AddDevMentorSecurity(this IServiceCollection services, SecuritySettings security, ServiceSettings settings)
    {
        var authentication = services.AddAuthentication(o =>
            {
                o.DefaultScheme = Scheme;
                o.DefaultChallengeScheme = Scheme;
                o.DefaultForbidScheme = Scheme;
            })
            // One entry point: a request with X-Api-Key (or Basic with the key as password, as git sends) is judged by its key, anything else by its bearer token.
            .AddPolicyScheme(Scheme, "JWT bearer or API key", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName) || !security.JwtEnabled ||
                ApiKeyAuthenticationHandler.HasBasic(context.Request.Headers.Authorization.ToString())
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : JwtBearerDefaults.AuthenticationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        if (security.JwtEnabled)
        {
            authentication.AddJwtBearer(o => ConfigureJwt(o, security));
        }

        // Every function needs a caller unless it is [AllowAnonymous] (CallerGate); Admin is the one named policy.
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(DevMentorClaims.Role, DevMentorClaims.AdminRole));
        services.AddSingleton<CallerGate>();
        services.AddSingleton<RateLimitGate>();
        services.AddSingleton<CorsGate>();

        services.AddCors(o => o.AddDefaultPolicy(policy =>
        {
            if (settings.CorsOrigins.Contains("*"))
            {
                policy.AllowAnyOrigin();
            }
            else
            {
                policy.WithOrigins(settings.CorsOrigins.Select(origin => origin.TrimEnd('/')).ToArray());
                if (security.CorsCredentials)
                {
                    policy.AllowCredentials();
                }
            }

            policy.WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
                .AllowAnyHeader()
                .WithExposedHeaders("ETag", "Location", "Retry-After", RateLimitGate.LimitHeader, RateLimitGate.RemainingHeader,
                    RateLimitGate.ResetHeader, "Idempotent-Replayed")
                // Browsers cap this (Chromium at 2 h); an hour saves most preflights without pinning a changed policy for long.
                .SetPreflightMaxAge(TimeSpan.FromHours(1));
        }));

        return services;
    }

    private static void ConfigureJwt(JwtBearerOptions options, SecuritySettings security)
    {
        // Claims keep the Auth Service's names (sub, role) instead of the WS-Federation URIs.
        options.MapInboundClaims = false;
        var algorithms = new List<string>();
        var parameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidIssuer = security.JwtIssuer,
            ValidateAudience = true,
            ValidAudience = security.JwtAudience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(30),
            NameClaimType = DevMentorClaims.Subject,
            RoleClaimType = DevMentorClaims.Role,
        };

        if (security.JwtSigningKey is { } key)
        {
            parameters.IssuerSigningKey = new SymmetricSecurityKey(System.Text.Encoding.UTF8.GetBytes(key));
            algorithms.Add(SecurityAlgorithms.HmacSha256);
        }

        if (security.JwtAuthority is { } authority)
        {
            // The JWKS comes from the authority's discovery document and is refreshed by the handler.
            options.Authority = authority.ToString();
            options.RequireHttpsMetadata = authority.Scheme == "https";
            algorithms.Add(SecurityAlgorithms.RsaSha256);
        }

        parameters.ValidAlgorithms = algorithms;
        options.TokenValidationParameters = parameters;
        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var subject = context.Principal?.FindFirst(DevMentorClaims.Subject)?.Value;
                if (string.IsNullOrEmpty(subject) || subject.Length > 200 || subject.Any(char.IsControl) || !ProjectInput.IsValidUnicode(subject))
                {
                    context.Fail("The token has no usable sub claim.");
                }

                return Task.CompletedTask;
            },
        };
    }
}
