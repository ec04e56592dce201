using DevMentor.Core.Data;

namespace DevMentor.Core.Tasks;

public sealed record ProjectTask(Guid Id, Guid ProjectId, string Source, string ExternalId, int? Number, string Title, string? Body, string State, string? Url);

/// <summary>project_tasks: for now, the mirror of repository issues (one row per project and issue).</summary>
public sealed class ProjectTaskStore(Database database, TimeProvider clock)
{
    public async Task UpsertAsync(Guid projectId, string source, string externalId, int? number, string title, string? body, string state, string? url, CancellationToken cancellationToken)
    {
        await using var upsert = database.DataSource.CreateCommand("""
            INSERT INTO project_tasks (id, project_id, source, external_id, number, title, body, state, url)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (project_id, source, external_id) DO UPDATE
            SET number = EXCLUDED.number, title = EXCLUDED.title, body = EXCLUDED.body,
                state = EXCLUDED.state, url = EXCLUDED.url, updated_at = now()
            """);
        upsert.Parameters.AddWithValue(Guid.CreateVersion7(clock.GetUtcNow()));
        upsert.Parameters.AddWithValue(projectId);
        upsert.Parameters.AddWithValue(source);
        upsert.Parameters.AddWithValue(externalId);
        upsert.Parameters.AddWithValue(number.HasValue ? number.Value : DBNull.Value);
        upsert.Parameters.AddWithValue(title);
        upsert.Parameters.AddWithValue(body is null ? DBNull.Value : body);
        upsert.Parameters.AddWithValue(state);
        upsert.Parameters.AddWithValue(url is null ? DBNull.Value : url);
        await upsert.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ProjectTask>> ListAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var list = database.DataSource.CreateCommand("""
            SELECT id, project_id, source, external_id, number, title, body, state, url
            FROM project_tasks WHERE project_id = $1 ORDER BY number NULLS LAST, created_at
            """);
        list.Parameters.AddWithValue(projectId);
        await using var reader = await list.ExecuteReaderAsync(cancellationToken);
        var tasks = new List<ProjectTask>();
        while (await reader.ReadAsync(cancellationToken))
        {
            tasks.Add(new ProjectTask(
                reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt32(4), reader.GetString(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }

        return tasks;
    }
}
