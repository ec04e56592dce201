using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Integrations.Remotes;

/// <summary>Where creating a project's repository on GitHub stands.</summary>
/// <param name="Status">pending (stored, not tried yet), provisioning, created, failed (see <see cref="Error"/>; retry possible).</param>
public sealed record RemoteState(Guid ProjectId, string Provider, string FullName, string Status, string? RepositoryUrl, long? HookId, string? Error, int Attempts, DateTimeOffset UpdatedAt);

/// <summary>project_remotes: one row per project created with createRemote; each step that succeeded is recorded before the next.</summary>
public sealed class ProjectRemoteStore(Database database)
{
    /// <summary>How long one provisioning attempt may hold the row before another may take over (its GitHub calls time out well before).</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    private const string Columns = "project_id, provider, full_name, status, repository_url, hook_id, last_error, attempts, updated_at";

    public static async Task InsertPendingAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, string fullName, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO project_remotes (project_id, provider, full_name, status) VALUES ($1, 'github', $2, 'pending')", connection, transaction);
        insert.Parameters.AddWithValue(projectId);
        insert.Parameters.AddWithValue(fullName);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<RemoteState?> GetAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var get = database.DataSource.CreateCommand($"SELECT {Columns} FROM project_remotes WHERE project_id = $1");
        get.Parameters.AddWithValue(projectId);
        return await ReadOneAsync(get, cancellationToken);
    }

    /// <summary>
    /// Takes the row for one attempt unless it is created or another attempt holds it. The
    /// repository name follows the project's current one while no repository exists yet (so a
    /// name GitHub refused can be changed with a PATCH, then retried).
    /// </summary>
    public async Task<RemoteState?> TryClaimAsync(Guid projectId, string fullName, CancellationToken cancellationToken)
    {
        await using var claim = database.DataSource.CreateCommand($"""
            UPDATE project_remotes
            SET status = 'provisioning', attempts = attempts + 1, lease_until = now() + $3, updated_at = now(),
                full_name = CASE WHEN repository_url IS NULL THEN $2 ELSE full_name END
            WHERE project_id = $1 AND (status IN ('pending', 'failed') OR (status = 'provisioning' AND lease_until < now()))
            RETURNING {Columns}
            """);
        claim.Parameters.AddWithValue(projectId);
        claim.Parameters.AddWithValue(fullName);
        claim.Parameters.AddWithValue(Lease);
        return await ReadOneAsync(claim, cancellationToken);
    }

    /// <summary>
    /// Remotes a crash left half-done: still pending after <paramref name="pendingFor"/> (the
    /// create's own attempt never ran) or provisioning past the lease of the attempt that died.
    /// Failed ones are left to the user: GitHub refused them for a reason a retry alone won't fix.
    /// </summary>
    public async Task<IReadOnlyList<Guid>> FindInterruptedAsync(TimeSpan pendingFor, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT project_id FROM project_remotes
            WHERE (status = 'pending' AND updated_at < now() - $1) OR (status = 'provisioning' AND lease_until < now())
            ORDER BY updated_at
            LIMIT $2
            """);
        command.Parameters.AddWithValue(pendingFor);
        command.Parameters.AddWithValue(limit);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    public Task RecordRepositoryAsync(Guid projectId, string repositoryUrl, CancellationToken cancellationToken) =>
        UpdateAsync("repository_url = $2", projectId, repositoryUrl, cancellationToken);

    public Task RecordCreatedAsync(Guid projectId, long hookId, CancellationToken cancellationToken) =>
        UpdateAsync("hook_id = $2, status = 'created', last_error = NULL, lease_until = NULL", projectId, hookId, cancellationToken);

    public Task RecordFailedAsync(Guid projectId, string error, CancellationToken cancellationToken) =>
        UpdateAsync("status = 'failed', last_error = $2, lease_until = NULL", projectId, error, cancellationToken);

    private async Task UpdateAsync(string set, Guid projectId, object value, CancellationToken cancellationToken)
    {
        await using var update = database.DataSource.CreateCommand($"UPDATE project_remotes SET {set}, updated_at = now() WHERE project_id = $1");
        update.Parameters.AddWithValue(projectId);
        update.Parameters.AddWithValue(value);
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<RemoteState?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new RemoteState(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt64(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetInt32(7), reader.GetFieldValue<DateTimeOffset>(8))
            : null;
    }
}
