using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Collaborators;

public enum CollaboratorWrite
{
    Done,
    ProjectGone,
    Archived,
    LastOwner,
    NotACollaborator,
}

/// <summary>
/// Collaborators in PostgreSQL. Each change locks the project row first, so concurrent changes to
/// one project's collaborators run one after the other and "the last owner stays" holds; each bumps
/// the project's version, which is what cached copies are validated against.
/// </summary>
public sealed class CollaboratorStore(Database database, TimeProvider clock)
{
    public async Task<IReadOnlyList<Collaborator>> ListAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT user_id, role, added_at FROM project_collaborators WHERE project_id = $1 ORDER BY added_at, user_id");
        command.Parameters.AddWithValue(projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Collaborator>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new Collaborator(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return items;
    }

    public async Task<(CollaboratorWrite Result, CollaboratorChange? Change)> PutAsync(Guid projectId, string userId, string role, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var state = await LockAsync(connection, transaction, projectId, userId, cancellationToken);
        if (state.Result != CollaboratorWrite.Done)
        {
            return (state.Result, null);
        }

        if (state.CurrentRole == "owner" && role != "owner" && state.Owners <= 1)
        {
            return (CollaboratorWrite.LastOwner, null);
        }

        await using var upsert = new NpgsqlCommand("""
            INSERT INTO project_collaborators (project_id, user_id, role, added_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (project_id, user_id) DO UPDATE SET role = EXCLUDED.role
            RETURNING added_at
            """, connection, transaction);
        upsert.Parameters.AddWithValue(projectId);
        upsert.Parameters.AddWithValue(userId);
        upsert.Parameters.AddWithValue(role);
        upsert.Parameters.AddWithValue(Now());
        var addedAt = (DateTime)(await upsert.ExecuteScalarAsync(cancellationToken))!;
        await BumpAsync(connection, transaction, projectId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (CollaboratorWrite.Done, new CollaboratorChange(
            new Collaborator(userId, role, new DateTimeOffset(DateTime.SpecifyKind(addedAt, DateTimeKind.Utc))), state.CurrentRole is null));
    }

    public async Task<CollaboratorWrite> RemoveAsync(Guid projectId, string userId, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var state = await LockAsync(connection, transaction, projectId, userId, cancellationToken);
        if (state.Result != CollaboratorWrite.Done)
        {
            return state.Result;
        }

        if (state.CurrentRole is null)
        {
            return CollaboratorWrite.NotACollaborator;
        }

        if (state.CurrentRole == "owner" && state.Owners <= 1)
        {
            return CollaboratorWrite.LastOwner;
        }

        await using var delete = new NpgsqlCommand("DELETE FROM project_collaborators WHERE project_id = $1 AND user_id = $2", connection, transaction);
        delete.Parameters.AddWithValue(projectId);
        delete.Parameters.AddWithValue(userId);
        await delete.ExecuteNonQueryAsync(cancellationToken);
        await BumpAsync(connection, transaction, projectId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return CollaboratorWrite.Done;
    }

    private static async Task<(CollaboratorWrite Result, string? CurrentRole, long Owners)> LockAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, string userId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT p.archived_at IS NOT NULL,
                   (SELECT role FROM project_collaborators WHERE project_id = p.id AND user_id = $2),
                   (SELECT count(*) FROM project_collaborators WHERE project_id = p.id AND role = 'owner')
            FROM projects p WHERE p.id = $1 FOR UPDATE
            """, connection, transaction);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(userId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return (CollaboratorWrite.ProjectGone, null, 0);
        }

        return reader.GetBoolean(0)
            ? (CollaboratorWrite.Archived, null, 0)
            : (CollaboratorWrite.Done, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2));
    }

    private async Task BumpAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("UPDATE projects SET version = version + 1, updated_at = $2 WHERE id = $1", connection, transaction);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(Now());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }
}
