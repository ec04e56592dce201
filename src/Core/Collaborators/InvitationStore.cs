using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Collaborators;

/// <summary>
/// project_invitations. Accepting locks the invitation, then the project row (as collaborator
/// changes do), adds the collaborator and bumps the project's version in one transaction, so an
/// invitation is used once and cached copies of the project see the new member.
/// </summary>
public sealed class InvitationStore(Database database, TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    private const string Columns = "id, project_id, user_id, role, invited_by, status, created_at, expires_at, responded_at";

    /// <summary>A new invitation, or the pending one renewed (new role, seven more days).</summary>
    public async Task<(InvitationWrite Result, Invitation? Invitation, bool Created)> InviteAsync(Guid projectId, string userId, string role, string? invitedBy, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var check = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM project_collaborators WHERE project_id = p.id AND user_id = $2) FROM projects p WHERE p.id = $1 FOR UPDATE", connection, transaction))
        {
            check.Parameters.AddWithValue(projectId);
            check.Parameters.AddWithValue(userId);
            if (await check.ExecuteScalarAsync(cancellationToken) is true)
            {
                return (InvitationWrite.AlreadyCollaborator, null, false);
            }
        }

        // Pending but expired: no longer counts, so a new one may be sent.
        await using (var lapse = new NpgsqlCommand(
            "UPDATE project_invitations SET status = 'revoked', responded_at = $3 WHERE project_id = $1 AND user_id = $2 AND status = 'pending' AND expires_at <= $3",
            connection, transaction))
        {
            lapse.Parameters.AddWithValue(projectId);
            lapse.Parameters.AddWithValue(userId);
            lapse.Parameters.AddWithValue(now);
            await lapse.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var upsert = new NpgsqlCommand($"""
            INSERT INTO project_invitations (id, project_id, user_id, role, invited_by, status, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)
            ON CONFLICT (project_id, user_id) WHERE status = 'pending'
            DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by, expires_at = EXCLUDED.expires_at
            RETURNING {Columns}, (xmax = 0)
            """, connection, transaction);
        upsert.Parameters.AddWithValue(Guid.CreateVersion7(now));
        upsert.Parameters.AddWithValue(projectId);
        upsert.Parameters.AddWithValue(userId);
        upsert.Parameters.AddWithValue(role);
        upsert.Parameters.AddWithValue(invitedBy is null ? DBNull.Value : invitedBy);
        upsert.Parameters.AddWithValue(now);
        upsert.Parameters.AddWithValue(now + Lifetime);
        Invitation invitation;
        bool created;
        await using (var reader = await upsert.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            invitation = Read(reader, now);
            created = reader.GetBoolean(9);
        }

        await transaction.CommitAsync(cancellationToken);
        return (InvitationWrite.Done, invitation, created);
    }

    public async Task<IReadOnlyList<Invitation>> ListForProjectAsync(Guid projectId, CancellationToken cancellationToken) =>
        await ListAsync("project_id = $1 AND status = 'pending' AND expires_at > $2", projectId, cancellationToken);

    public async Task<IReadOnlyList<Invitation>> ListForUserAsync(string userId, CancellationToken cancellationToken) =>
        await ListAsync("user_id = $1 AND status = 'pending' AND expires_at > $2", userId, cancellationToken);

    public async Task<Invitation?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {Columns} FROM project_invitations WHERE id = $1");
        command.Parameters.AddWithValue(id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, Now()) : null;
    }

    /// <summary>The invitee's answer; accepting makes them a collaborator (a collaborator already keeps their role).</summary>
    public async Task<(InvitationWrite Result, Invitation? Invitation)> RespondAsync(Guid id, string userId, bool accept, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        Invitation? invitation;
        await using (var select = new NpgsqlCommand($"SELECT {Columns} FROM project_invitations WHERE id = $1 AND user_id = $2 FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue(id);
            select.Parameters.AddWithValue(userId);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            invitation = await reader.ReadAsync(cancellationToken) ? Read(reader, now) : null;
        }

        if (invitation is null)
        {
            return (InvitationWrite.NotFound, null);
        }

        if (invitation.Status != "pending")
        {
            return (invitation.Status == "expired" ? InvitationWrite.Expired : InvitationWrite.NotPending, invitation);
        }

        if (accept)
        {
            await using var project = new NpgsqlCommand("SELECT archived_at IS NOT NULL FROM projects WHERE id = $1 FOR UPDATE", connection, transaction);
            project.Parameters.AddWithValue(invitation.ProjectId);
            if (await project.ExecuteScalarAsync(cancellationToken) is not false)
            {
                return (InvitationWrite.Archived, invitation);
            }

            await using var add = new NpgsqlCommand(
                "INSERT INTO project_collaborators (project_id, user_id, role, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, user_id) DO NOTHING",
                connection, transaction);
            add.Parameters.AddWithValue(invitation.ProjectId);
            add.Parameters.AddWithValue(userId);
            add.Parameters.AddWithValue(invitation.Role);
            add.Parameters.AddWithValue(now);
            await add.ExecuteNonQueryAsync(cancellationToken);
            await using var bump = new NpgsqlCommand("UPDATE projects SET version = version + 1, updated_at = $2 WHERE id = $1", connection, transaction);
            bump.Parameters.AddWithValue(invitation.ProjectId);
            bump.Parameters.AddWithValue(now);
            await bump.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var answer = new NpgsqlCommand($"UPDATE project_invitations SET status = $2, responded_at = $3 WHERE id = $1 RETURNING {Columns}", connection, transaction);
        answer.Parameters.AddWithValue(id);
        answer.Parameters.AddWithValue(accept ? "accepted" : "declined");
        answer.Parameters.AddWithValue(now);
        Invitation updated;
        await using (var reader = await answer.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            updated = Read(reader, now);
        }

        await transaction.CommitAsync(cancellationToken);
        return (InvitationWrite.Done, updated);
    }

    public async Task<bool> RevokeAsync(Guid projectId, Guid id, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE project_invitations SET status = 'revoked', responded_at = $3 WHERE id = $1 AND project_id = $2 AND status = 'pending'");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(Now());
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    private async Task<IReadOnlyList<Invitation>> ListAsync<T>(string where, T key, CancellationToken cancellationToken) where T : notnull
    {
        var now = Now();
        await using var command = database.DataSource.CreateCommand($"SELECT {Columns} FROM project_invitations WHERE {where} ORDER BY created_at DESC LIMIT 200");
        command.Parameters.AddWithValue(key);
        command.Parameters.AddWithValue(now);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<Invitation>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Read(reader, now));
        }

        return items;
    }

    private static Invitation Read(NpgsqlDataReader reader, DateTimeOffset now)
    {
        var expiresAt = reader.GetFieldValue<DateTimeOffset>(7);
        var status = reader.GetString(5);
        return new Invitation(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
            status == "pending" && expiresAt <= now ? "expired" : status,
            reader.GetFieldValue<DateTimeOffset>(6), expiresAt, reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8));
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }
}
