using DevMentor.Core.Data;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>repository_pushes: the commits (with changed files) a push brought to a project.</summary>
public sealed class RepositoryPushStore(Database database)
{
    public async Task RecordAsync(Guid deliveryId, Guid projectId, string gitRef, string before, string after, string commitsJson, CancellationToken cancellationToken)
    {
        await using var insert = database.DataSource.CreateCommand("""
            INSERT INTO repository_pushes (delivery_id, project_id, ref, before_sha, after_sha, commits)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (delivery_id, project_id) DO NOTHING
            """);
        insert.Parameters.AddWithValue(deliveryId);
        insert.Parameters.AddWithValue(projectId);
        insert.Parameters.AddWithValue(gitRef);
        insert.Parameters.AddWithValue(before);
        insert.Parameters.AddWithValue(after);
        insert.Parameters.Add(new NpgsqlParameter { Value = commitsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> CountAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var count = database.DataSource.CreateCommand("SELECT count(*) FROM repository_pushes WHERE project_id = $1");
        count.Parameters.AddWithValue(projectId);
        return Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }
}
