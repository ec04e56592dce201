using System.Globalization;
using System.Text;

namespace DevMentor.Functions.Composition;

/// <summary>Limits per fixed window; a request counts against its API key, else its user, else its IP address.</summary>
public sealed record RateLimitSettings(bool Enabled, long PerIp, long PerUser, long PerApiKey, TimeSpan Window)
{
    public static readonly RateLimitSettings Default = new(true, 1000, 5000, 10000, TimeSpan.FromHours(1));
}

/// <summary>
/// Authentication, rate limit and CORS settings, validated at start like <see cref="ServiceSettings"/>:
/// every problem is reported at once, each naming its key.
/// </summary>
public sealed record SecuritySettings
{
    public const int MinSigningKeyBytes = 32;
    public const int MinBootstrapKeyLength = 16;

    public string? JwtSigningKey { get; init; }
    public Uri? JwtAuthority { get; init; }
    public string JwtIssuer { get; init; } = "devmentor-auth";
    public string JwtAudience { get; init; } = "devmentor";
    public string? BootstrapApiKey { get; init; }
    public bool CorsCredentials { get; init; }
    public RateLimitSettings RateLimits { get; init; } = RateLimitSettings.Default;
    /// <summary>Maps GET /bench/baseline, the constant answer benchmarks compare against.</summary>
    public bool BenchEnabled { get; init; }
    /// <summary>Who may give a project a file:// or local-path repository (Repositories:AllowedLocalPaths).</summary>
    public Core.Projects.RepositoryPolicy Repositories { get; init; } = Core.Projects.RepositoryPolicy.AdminsOnly;

    public bool JwtEnabled => JwtSigningKey is not null || JwtAuthority is not null;

    public static SecuritySettings Load(IConfiguration configuration)
    {
        var problems = new List<string>();

        var signingKey = NullIfEmpty(configuration["Auth:Jwt:SigningKey"]);
        if (signingKey is not null && Encoding.UTF8.GetByteCount(signingKey) < MinSigningKeyBytes)
        {
            // HS256 keys shorter than the hash are rejected by the token library on every request; better to say so now.
            problems.Add($"Auth:Jwt:SigningKey: must be at least {MinSigningKeyBytes} bytes for HS256.");
        }

        Uri? authority = null;
        if (NullIfEmpty(configuration["Auth:Jwt:Authority"]) is { } rawAuthority &&
            (!Uri.TryCreate(rawAuthority, UriKind.Absolute, out authority) || authority.Scheme is not ("https" or "http")))
        {
            problems.Add($"Auth:Jwt:Authority: '{rawAuthority}' is not an http(s) URL of the Auth Service (its /.well-known/openid-configuration lists the JWKS).");
            authority = null;
        }

        var bootstrap = NullIfEmpty(configuration["Auth:BootstrapApiKey"]);
        if (bootstrap is not null && (bootstrap.Length < MinBootstrapKeyLength || bootstrap.Any(c => char.IsControl(c) || char.IsWhiteSpace(c))))
        {
            problems.Add($"Auth:BootstrapApiKey: must be at least {MinBootstrapKeyLength} characters without spaces.");
        }

        var defaults = RateLimitSettings.Default;
        var rateLimits = new RateLimitSettings(
            SettingValues.Bool(configuration, "RateLimits:Enabled", true, problems),
            SettingValues.Long(configuration, "RateLimits:PerIp", defaults.PerIp, 1, 1_000_000_000_000, problems),
            SettingValues.Long(configuration, "RateLimits:PerUser", defaults.PerUser, 1, 1_000_000_000_000, problems),
            SettingValues.Long(configuration, "RateLimits:PerApiKey", defaults.PerApiKey, 1, 1_000_000_000_000, problems),
            TimeSpan.FromSeconds(SettingValues.Long(configuration, "RateLimits:WindowSeconds", (long)defaults.Window.TotalSeconds, 1, 1_000_000_000_000, problems)));

        var allowedLocal = (configuration[Core.Projects.RepositoryPolicy.SettingKey] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var path in allowedLocal.Where(p => !Path.IsPathRooted(p)))
        {
            problems.Add($"{Core.Projects.RepositoryPolicy.SettingKey}: '{path}' is not an absolute path.");
        }

        var settings = new SecuritySettings
        {
            Repositories = new Core.Projects.RepositoryPolicy(allowedLocal.Where(Path.IsPathRooted).Select(Path.GetFullPath).ToList()),
            JwtSigningKey = signingKey,
            JwtAuthority = authority,
            JwtIssuer = NullIfEmpty(configuration["Auth:Jwt:Issuer"]) ?? "devmentor-auth",
            JwtAudience = NullIfEmpty(configuration["Auth:Jwt:Audience"]) ?? "devmentor",
            BootstrapApiKey = bootstrap,
            CorsCredentials = SettingValues.Bool(configuration, "Host:CORSCredentials", false, problems),
            RateLimits = rateLimits,
            BenchEnabled = SettingValues.Bool(configuration, "Bench:Enabled", false, problems),
        };

        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        return settings;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
