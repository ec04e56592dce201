using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Security;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Projects;

public sealed class SlugTakenException(string slug) : Exception($"The slug '{slug}' is taken.")
{
    public string Slug { get; } = slug;
}

public readonly record struct ProjectHead(Guid Id, long Version, DateTimeOffset CreatedAt);

public sealed record ProjectListQuery(int Limit, ProjectCursor? After, string? Search, ArchivedFilter Archived);

public enum ArchivedFilter
{
    Exclude,
    Only,
    Include,
}

/// <summary>Projects in PostgreSQL.</summary>
public sealed class ProjectStore(Database database)
{
    private const string Columns =
        "p.id, p.slug, p.name, p.description, p.visibility, p.repository::text, p.settings::text, p.owner_id, p.created_at, p.updated_at, p.archived_at, p.version";

    public async Task<ProjectSnapshot?> LoadSnapshotAsync(Guid id, CancellationToken cancellationToken)
    {
        var found = await LoadSnapshotsAsync([id], cancellationToken);
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>Projects with their collaborators, in no particular order; ids that do not exist are left out.</summary>
    public async Task<IReadOnlyList<ProjectSnapshot>> LoadSnapshotsAsync(Guid[] ids, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($$"""
            SELECT {{Columns}},
                   coalesce((SELECT json_object_agg(c.user_id, c.role) FROM project_collaborators c WHERE c.project_id = p.id), '{}')::text
            FROM projects p WHERE p.id = ANY($1)
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var snapshots = new List<ProjectSnapshot>(ids.Length);
        while (await reader.ReadAsync(cancellationToken))
        {
            var collaborators = JsonSerializer.Deserialize(reader.GetString(12), ProjectsJsonContext.Default.DictionaryStringString)!;
            snapshots.Add(new ProjectSnapshot(Read(reader), collaborators));
        }

        return snapshots;
    }

    /// <summary>Inserts the project and its creator as owner, in the caller's transaction.</summary>
    /// <exception cref="SlugTakenException">The slug is in use.</exception>
    public async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Project project, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO projects (id, slug, name, description, visibility, repository, settings, owner_id, created_at, updated_at, version)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10);
            """, connection, transaction);
        AddFields(command, project);
        command.Parameters.AddWithValue(project.OwnerId);
        command.Parameters.AddWithValue(project.CreatedAt);
        command.Parameters.AddWithValue(project.Version);
        await using var owner = new NpgsqlCommand(
            "INSERT INTO project_collaborators (project_id, user_id, role, added_at) VALUES ($1, $2, 'owner', $3)", connection, transaction);
        owner.Parameters.AddWithValue(project.Id);
        owner.Parameters.AddWithValue(project.OwnerId);
        owner.Parameters.AddWithValue(project.CreatedAt);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
            await owner.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "projects_slug_key" })
        {
            throw new SlugTakenException(project.Slug);
        }
    }

    /// <summary>Writes the editable fields if the project is still at <paramref name="expectedVersion"/> and not archived.</summary>
    /// <returns>The stored project, or null when it moved on (or was archived) in the meantime.</returns>
    /// <exception cref="SlugTakenException">The new slug is in use.</exception>
    public async Task<Project?> UpdateAsync(Project project, long expectedVersion, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            UPDATE projects p SET slug = $2, name = $3, description = $4, visibility = $5, repository = $6, settings = $7,
                                updated_at = $8, version = p.version + 1
            WHERE p.id = $1 AND p.version = $9 AND p.archived_at IS NULL
            RETURNING {Columns}
            """);
        AddFields(command, project);
        command.Parameters.AddWithValue(project.UpdatedAt);
        command.Parameters.AddWithValue(expectedVersion);
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "projects_slug_key" })
        {
            throw new SlugTakenException(project.Slug);
        }
    }

    /// <returns>False when it was archived already.</returns>
    public async Task<bool> ArchiveAsync(Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE projects SET archived_at = $2, updated_at = $2, version = version + 1 WHERE id = $1 AND archived_at IS NULL");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue(now);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>
    /// One page, newest first, keyset-paginated on (created_at, id), only what <paramref name="caller"/>
    /// may see: ids and versions only (the documents come from the cache, see <see cref="ProjectReader"/>).
    /// </summary>
    public async Task<(IReadOnlyList<ProjectHead> Items, string? NextCursor)> ListAsync(Caller caller, ProjectListQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT p.id, p.version, p.created_at FROM projects p WHERE TRUE");
        await using var command = database.DataSource.CreateCommand();
        if (!caller.IsAdmin)
        {
            command.Parameters.AddWithValue(caller.UserId ?? "");
            sql.Append($" AND (p.visibility <> 'private' OR EXISTS (SELECT 1 FROM project_collaborators c WHERE c.project_id = p.id AND c.user_id = ${command.Parameters.Count}))");
        }

        sql.Append(query.Archived switch
        {
            ArchivedFilter.Exclude => " AND p.archived_at IS NULL",
            ArchivedFilter.Only => " AND p.archived_at IS NOT NULL",
            _ => "",
        });

        if (query.Search is { } search)
        {
            command.Parameters.AddWithValue(search);
            sql.Append($" AND p.search @@ websearch_to_tsquery('simple', ${command.Parameters.Count})");
        }

        if (query.After is { } after)
        {
            command.Parameters.AddWithValue(after.CreatedAt);
            command.Parameters.AddWithValue(after.Id);
            sql.Append($" AND (p.created_at, p.id) < (${command.Parameters.Count - 1}, ${command.Parameters.Count})");
        }

        command.Parameters.AddWithValue(query.Limit + 1);
        sql.Append($" ORDER BY p.created_at DESC, p.id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();

        var items = new List<ProjectHead>(query.Limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new ProjectHead(reader.GetGuid(0), reader.GetInt64(1), reader.GetFieldValue<DateTimeOffset>(2)));
            }
        }

        string? next = null;
        if (items.Count > query.Limit)
        {
            items.RemoveAt(items.Count - 1);
            next = new ProjectCursor(items[^1].CreatedAt, items[^1].Id).Encode();
        }

        return (items, next);
    }

    private static void AddFields(NpgsqlCommand command, Project project)
    {
        command.Parameters.AddWithValue(project.Id);
        command.Parameters.AddWithValue(project.Slug);
        command.Parameters.AddWithValue(project.Name);
        command.Parameters.AddWithValue(project.Description);
        command.Parameters.AddWithValue(project.Visibility);
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Jsonb,
            Value = project.Repository is null ? DBNull.Value : JsonSerializer.Serialize(project.Repository, ProjectsJsonContext.Default.ProjectRepository),
        });
        command.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Jsonb,
            Value = JsonSerializer.Serialize(project.Settings, ProjectsJsonContext.Default.ProjectSettings),
        });
    }

    /// <summary>Rows written by hand or by older versions may lack fields: missing lists read as empty.</summary>
    private static ProjectSettings ReadSettings(string json)
    {
        var settings = JsonSerializer.Deserialize(json, ProjectsJsonContext.Default.ProjectSettings) ?? ProjectSettings.Default;
        return new ProjectSettings(settings.BuildBranches ?? [], settings.DeployEnvironments ?? [], settings.BuildTags ?? []);
    }

    private static Project Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.IsDBNull(5) ? null : JsonSerializer.Deserialize(reader.GetString(5), ProjectsJsonContext.Default.ProjectRepository),
        ReadSettings(reader.GetString(6)),
        reader.GetString(7),
        reader.GetFieldValue<DateTimeOffset>(8),
        reader.GetFieldValue<DateTimeOffset>(9),
        reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
        reader.GetInt64(11));
}
