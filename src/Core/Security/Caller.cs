using System.Security.Claims;

namespace DevMentor.Core.Security;

/// <summary>
/// Who is asking, as the domain sees it: a user id (JWT <c>sub</c>, or the principal an API key is
/// bound to), whether they are a platform admin, and the API key used, if any.
/// </summary>
public sealed record Caller(string? UserId, bool IsAdmin, Guid? ApiKeyId)
{
    public static readonly Caller Anonymous = new(null, false, null);

    public bool IsAuthenticated => UserId is not null;

    /// <summary>What rate limits and idempotency keys are counted against.</summary>
    public string PartitionKey => ApiKeyId is { } key ? $"apikey:{key:N}" : UserId is { } user ? $"user:{user}" : "anonymous";

    public static Caller From(ClaimsPrincipal principal)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return Anonymous;
        }

        var userId = principal.FindFirst(DevMentorClaims.Subject)?.Value;
        if (string.IsNullOrEmpty(userId))
        {
            return Anonymous;
        }

        var isAdmin = principal.HasClaim(DevMentorClaims.Role, DevMentorClaims.AdminRole);
        var apiKey = Guid.TryParse(principal.FindFirst(DevMentorClaims.ApiKeyId)?.Value, out var id) ? id : (Guid?)null;
        return new Caller(userId, isAdmin, apiKey);
    }
}

/// <summary>Claim names as the Auth Service issues them (inbound claim mapping is off).</summary>
public static class DevMentorClaims
{
    public const string Subject = "sub";
    public const string Role = "role";
    public const string AdminRole = "admin";
    public const string ApiKeyId = "api_key_id";
}
