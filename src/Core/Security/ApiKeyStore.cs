using System.Collections.Concurrent;
using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Security;

/// <summary>API keys in PostgreSQL, stored as SHA-256 hashes.</summary>
/// <remarks>
/// A key found active is remembered by its hash for <see cref="CacheLifetime"/>, so API-key requests
/// do not each cost a query (bench/projects). The lifetime is counted from when the query started,
/// so a revocation committed in any instance is seen by every instance within it; the instance
/// that revokes forgets the key at once. Unknown and revoked keys are never remembered (a new key
/// works at once). Concurrent requests with the same key share one query.
/// </remarks>
public sealed class ApiKeyStore(Database database, TimeProvider clock)
{
    public const int MaxNameLength = 100;

    /// <summary>How long a validated key is trusted without asking the database: revocation is effective everywhere within it.</summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, (Task<ApiKeyPrincipal?> Lookup, long StartedAt)> _validated = new(StringComparer.Ordinal);

    public async Task<ApiKeyPrincipal?> FindActiveAsync(string key, CancellationToken cancellationToken)
    {
        var hash = Convert.ToHexStringLower(ApiKeySecrets.Hash(key));
        var now = clock.GetTimestamp();
        if (_validated.TryGetValue(hash, out var entry) && clock.GetElapsedTime(entry.StartedAt, now) < CacheLifetime)
        {
            var principal = await entry.Lookup.WaitAsync(cancellationToken);
            if (principal is not null)
            {
                return principal;
            }
        }

        // One query per key however many requests arrive together; its own cancellation is not a caller's.
        var fresh = (Lookup: QueryActiveAsync(key, CancellationToken.None), StartedAt: now);
        var shared = _validated.AddOrUpdate(hash, fresh, (_, old) => old.StartedAt == entry.StartedAt && old.Lookup == entry.Lookup ? fresh : old);
        ApiKeyPrincipal? found;
        try
        {
            found = await shared.Lookup.WaitAsync(cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            _validated.TryRemove(new KeyValuePair<string, (Task<ApiKeyPrincipal?>, long)>(hash, shared));
            throw;
        }

        if (found is null)
        {
            _validated.TryRemove(new KeyValuePair<string, (Task<ApiKeyPrincipal?>, long)>(hash, shared));
        }

        return found;
    }

    private async Task<ApiKeyPrincipal?> QueryActiveAsync(string key, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await using var command = database.DataSource.CreateCommand(
            "SELECT id, principal_id, is_admin FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL");
        command.Parameters.AddWithValue(ApiKeySecrets.Hash(key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new ApiKeyPrincipal(reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2))
            : null;
    }

    /// <summary>This instance forgets what it validated; the others within <see cref="CacheLifetime"/>.</summary>
    private void Forget(Func<ApiKeyPrincipal, bool> which)
    {
        foreach (var (hash, entry) in _validated)
        {
            if (!entry.Lookup.IsCompletedSuccessfully || entry.Lookup.Result is not { } principal || which(principal))
            {
                _validated.TryRemove(new KeyValuePair<string, (Task<ApiKeyPrincipal?>, long)>(hash, entry));
            }
        }
    }

    public async Task<CreatedApiKey> CreateAsync(string name, string userId, bool admin, string? createdBy, CancellationToken cancellationToken)
    {
        var (key, prefix) = ApiKeySecrets.Generate();
        var id = Guid.CreateVersion7();
        var now = Truncate(clock.GetUtcNow());
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO api_keys (id, prefix, key_hash, name, principal_id, is_admin, created_by, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """);
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(prefix);
        command.Parameters.AddWithValue(ApiKeySecrets.Hash(key));
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(userId);
        command.Parameters.AddWithValue(admin);
        command.Parameters.AddWithValue((object?)createdBy ?? DBNull.Value);
        command.Parameters.AddWithValue(now);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return new CreatedApiKey(id, name, prefix, userId, admin, now, key);
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT id, name, prefix, principal_id, is_admin, is_bootstrap, created_at, revoked_at FROM api_keys ORDER BY created_at, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var keys = new List<ApiKey>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKey(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetBoolean(4), reader.GetBoolean(5),
                reader.GetFieldValue<DateTimeOffset>(6), reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7)));
        }

        return keys;
    }

    /// <returns>False when no such key exists; revoking a revoked key succeeds.</returns>
    public async Task<bool> RevokeAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(clock.GetUtcNow());
        var revoked = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        Forget(p => p.Id == id);
        return revoked;
    }

    /// <summary>Inserts the bootstrap key unless one exists; true when this call created it.</summary>
    public async Task<bool> TryCreateBootstrapAsync(string key, string prefix, string userId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO api_keys (id, prefix, key_hash, name, principal_id, is_admin, is_bootstrap)
            VALUES ($1, $2, $3, 'bootstrap admin key', $4, true, true)
            ON CONFLICT (is_bootstrap) WHERE is_bootstrap DO NOTHING
            """);
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(prefix);
        command.Parameters.AddWithValue(ApiKeySecrets.Hash(key));
        command.Parameters.AddWithValue(userId);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>Makes <paramref name="key"/> the bootstrap key (Auth:BootstrapApiKey), replacing and un-revoking any earlier one.</summary>
    public async Task SetBootstrapAsync(string key, string userId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO api_keys (id, prefix, key_hash, name, principal_id, is_admin, is_bootstrap)
            VALUES ($1, 'configured', $2, 'bootstrap admin key (Auth:BootstrapApiKey)', $3, true, true)
            ON CONFLICT (is_bootstrap) WHERE is_bootstrap
            DO UPDATE SET key_hash = EXCLUDED.key_hash, prefix = EXCLUDED.prefix, name = EXCLUDED.name,
                          principal_id = EXCLUDED.principal_id, revoked_at = NULL
            """);
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(ApiKeySecrets.Hash(key));
        command.Parameters.AddWithValue(userId);
        Forget(p => true); // the previous bootstrap key stops working here at once
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The configured key is already stored (as the bootstrap key, or as an ordinary key someone created with the same secret).
        }
    }

    private static DateTimeOffset Truncate(DateTimeOffset value) => new(value.UtcTicks - (value.UtcTicks % 10), TimeSpan.Zero);
}
