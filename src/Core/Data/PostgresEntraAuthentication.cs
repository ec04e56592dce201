using Azure.Core;
using Azure.Identity;
using Npgsql;

namespace DevMentor.Core.Data;

/// <summary>
/// Microsoft Entra authentication to Azure Database for PostgreSQL (Postgres:AzureIdentity): the
/// connection string names the server, database and user (the managed identity's name) and the
/// password is an access token for the database scope. Npgsql's periodic password provider fetches
/// it before the first connection and refreshes it well inside its lifetime, so new physical
/// connections always present a valid token; open connections are unaffected by expiry.
/// </summary>
public static class PostgresEntraAuthentication
{
    /// <summary>The token audience of Azure Database for PostgreSQL (every Azure cloud uses this name).</summary>
    public const string Scope = "https://ossrdbms-aad.database.windows.net/.default";

    /// <summary>Tokens live about an hour or more; Azure.Identity caches them, so refreshing often is cheap.</summary>
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);

    /// <summary>After a failed fetch (identity endpoint briefly down) try again soon.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);

    /// <summary>The app's managed identity: system-assigned, or the user-assigned one with this client id.</summary>
    public static TokenCredential ManagedIdentity(string? clientId) =>
        new ManagedIdentityCredential(clientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId));

    /// <summary>Makes every connection of the data source authenticate with a token from <paramref name="credential"/>.</summary>
    public static void Apply(NpgsqlDataSourceBuilder builder, TokenCredential credential)
    {
        if (!string.IsNullOrEmpty(builder.ConnectionStringBuilder.Password))
        {
            throw new ArgumentException("With Microsoft Entra authentication the connection string must not hold a password.");
        }

        builder.UsePeriodicPasswordProvider(
            async (_, cancellationToken) => (await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken)).Token,
            RefreshInterval,
            RetryInterval);
    }
}
