using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Data;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Tasks;

public enum TaskWrite
{
    Done,
    NotFound,
    VersionMismatch,
}

/// <summary>
/// project_tasks and their history in PostgreSQL (all of the feature's SQL). A task's number comes
/// from project_task_counters in the inserting transaction: the counter row's lock orders concurrent
/// creators of one project, so numbers are unique and without gaps. Every write adds a history
/// event in the same transaction.
/// </summary>
public sealed partial class ProjectTaskStore(Database database, TimeProvider clock)
{
    internal const string Columns = """
        id, project_id, number, title, body, state, labels, assignees, priority, due_date, created_by, created_at,
        updated_at, version, sync, source, external_id, external_number, url, synced_at, external_updated_at, sync_error, linked_commits
        """;

    public async Task<ProjectTask> CreateAsync(Guid projectId, TaskFields fields, bool sync, string? actor, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var task = await InsertAsync(connection, transaction, Guid.CreateVersion7(now), projectId, fields, sync, actor, now, TaskSources.Local, null, cancellationToken);
        await AddEventAsync(connection, transaction, task, now, actor, "created", Describe(fields), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return task;
    }

    public async Task<ProjectTask?> GetAsync(Guid projectId, int number, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {Columns} FROM project_tasks WHERE project_id = $1 AND number = $2");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(number);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>Writes <paramref name="fields"/> if the task is still at <paramref name="expectedVersion"/>.</summary>
    public async Task<(TaskWrite Result, ProjectTask? Task)> UpdateAsync(
        Guid taskId, long expectedVersion, TaskFields fields, bool sync, string? actor, JsonObject changes, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand($"""
            UPDATE project_tasks SET title = $3, body = $4, state = $5, labels = $6, assignees = $7, priority = $8, due_date = $9,
                sync = $10, updated_at = $11, version = version + 1
            WHERE id = $1 AND version = $2
            RETURNING {Columns}
            """, connection, transaction);
        update.Parameters.AddWithValue(taskId);
        update.Parameters.AddWithValue(expectedVersion);
        AddFields(update, fields);
        update.Parameters.AddWithValue(sync);
        update.Parameters.AddWithValue(now);
        var task = await ReadOneAsync(update, cancellationToken);
        if (task is null)
        {
            return (TaskWrite.VersionMismatch, null);
        }

        await AddEventAsync(connection, transaction, task, now, actor, "updated", changes, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (TaskWrite.Done, task);
    }

    /// <param name="expectedVersion">Only that version (If-Match); null: whatever is current.</param>
    public async Task<TaskWrite> DeleteAsync(Guid projectId, int number, long? expectedVersion, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            WITH gone AS (DELETE FROM project_tasks WHERE project_id = $1 AND number = $2 AND ($3::bigint IS NULL OR version = $3) RETURNING 1)
            SELECT (SELECT count(*) FROM gone), EXISTS (SELECT 1 FROM project_tasks WHERE project_id = $1 AND number = $2)
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(number);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = expectedVersion.HasValue ? expectedVersion.Value : DBNull.Value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return reader.GetInt64(0) > 0 ? TaskWrite.Done : reader.GetBoolean(1) ? TaskWrite.VersionMismatch : TaskWrite.NotFound;
    }

    /// <summary>Newest first; only the filters given narrow the query, so each shape gets its own plan.</summary>
    public async Task<TaskPage> ListAsync(Guid projectId, TaskListQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM project_tasks WHERE project_id = $1");
        await using var command = database.DataSource.CreateCommand();
        command.Parameters.AddWithValue(projectId);
        void Filter(string condition, object value)
        {
            command.Parameters.AddWithValue(value);
            sql.Append(" AND ").Append(condition.Replace("$?", "$" + command.Parameters.Count, StringComparison.Ordinal));
        }

        if (query.BeforeNumber is { } before)
        {
            Filter("number < $?", before);
        }

        if (query.State is { } state)
        {
            Filter("state = $?", state);
        }

        if (query.Label is { } label)
        {
            Filter("labels @> ARRAY[$?]", label);
        }

        if (query.Assignee is { } assignee)
        {
            Filter("assignees @> ARRAY[$?]", assignee);
        }

        if (query.Text is { } text)
        {
            Filter("search @@ plainto_tsquery('simple', $?)", text);
        }

        command.Parameters.AddWithValue(query.Limit + 1);
        sql.Append(" ORDER BY number DESC LIMIT $").Append(command.Parameters.Count);
        command.CommandText = sql.ToString();
        var items = new List<ProjectTask>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(Read(reader));
            }
        }

        var more = items.Count > query.Limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new TaskPage(items, more ? TaskListQueries.EncodeCursor(items[^1].Number) : null);
    }

    public async Task<TaskHistory> HistoryAsync(Guid taskId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT id, at, actor, kind, detail::text FROM project_task_events WHERE task_id = $1 ORDER BY id LIMIT 1000");
        command.Parameters.AddWithValue(taskId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<TaskEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            using var detail = JsonDocument.Parse(reader.GetString(4));
            items.Add(new TaskEvent(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.GetString(3), detail.RootElement.Clone()));
        }

        return new TaskHistory(items);
    }

    internal static JsonObject Describe(TaskFields fields) => new()
    {
        ["title"] = fields.Title,
        ["state"] = fields.State,
        ["priority"] = fields.Priority,
        ["labels"] = new JsonArray([.. fields.Labels.Select(l => (JsonNode?)l)]),
        ["assignees"] = new JsonArray([.. fields.Assignees.Select(a => (JsonNode?)a)]),
        ["dueDate"] = fields.DueDate?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
    };

    private static async Task<ProjectTask> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, Guid projectId, TaskFields fields,
        bool sync, string? actor, DateTimeOffset now, string source, ExternalIssue? issue, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand($"""
            WITH n AS (
                INSERT INTO project_task_counters (project_id, last_number) VALUES ($1, 1)
                ON CONFLICT (project_id) DO UPDATE SET last_number = project_task_counters.last_number + 1
                RETURNING last_number)
            INSERT INTO project_tasks (id, project_id, number, title, body, state, labels, assignees, priority, due_date,
                                       sync, created_by, created_at, updated_at, source, external_id, external_number, url, synced_at, external_updated_at)
            SELECT $2, $1, n.last_number, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17, $18 FROM n
            RETURNING {Columns}
            """, connection, transaction);
        insert.Parameters.AddWithValue(projectId);
        insert.Parameters.AddWithValue(id);
        AddFields(insert, fields);
        insert.Parameters.AddWithValue(sync);
        insert.Parameters.AddWithValue(actor is null ? DBNull.Value : actor);
        insert.Parameters.AddWithValue(now);
        insert.Parameters.AddWithValue(source);
        insert.Parameters.AddWithValue(issue is null ? DBNull.Value : issue.Id);
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Integer, Value = issue is null ? DBNull.Value : issue.Number });
        insert.Parameters.AddWithValue(issue?.Url is null ? DBNull.Value : issue.Url);
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = issue is null ? DBNull.Value : now });
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = issue is null ? DBNull.Value : issue.UpdatedAt });
        return (await ReadOneAsync(insert, cancellationToken))!;
    }

    private static void AddFields(NpgsqlCommand command, TaskFields fields)
    {
        command.Parameters.AddWithValue(fields.Title);
        command.Parameters.AddWithValue(fields.Body is null ? DBNull.Value : fields.Body);
        command.Parameters.AddWithValue(fields.State);
        command.Parameters.AddWithValue(fields.Labels.ToArray());
        command.Parameters.AddWithValue(fields.Assignees.ToArray());
        command.Parameters.AddWithValue(fields.Priority);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Date, Value = fields.DueDate.HasValue ? fields.DueDate.Value : DBNull.Value });
    }

    private static async Task AddEventAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, ProjectTask task, DateTimeOffset at, string? actor,
        string kind, JsonObject detail, CancellationToken cancellationToken)
    {
        detail["number"] = task.Number;
        await using var insert = new NpgsqlCommand(
            "INSERT INTO project_task_events (task_id, project_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5, $6)", connection, transaction);
        insert.Parameters.AddWithValue(task.Id);
        insert.Parameters.AddWithValue(task.ProjectId);
        insert.Parameters.AddWithValue(at);
        insert.Parameters.AddWithValue(actor is null ? DBNull.Value : actor);
        insert.Parameters.AddWithValue(kind);
        insert.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = detail.ToJsonString() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<ProjectTask?> ReadOneAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <param name="o">The column of <c>id</c> (1 when the query returns something before the task's columns).</param>
    internal static ProjectTask Read(NpgsqlDataReader reader, int o = 0)
    {
        var source = reader.GetString(o + 15);
        DateTimeOffset? Time(int i) => reader.IsDBNull(o + i) ? null : reader.GetFieldValue<DateTimeOffset>(o + i);
        string? Text(int i) => reader.IsDBNull(o + i) ? null : reader.GetString(o + i);
        var issue = source == TaskSources.Local
            ? null
            : new TaskIssue(source, Text(16), reader.IsDBNull(o + 17) ? null : reader.GetInt32(o + 17), Text(18), Time(19), Time(20));
        return new ProjectTask(
            reader.GetGuid(o), reader.GetGuid(o + 1), reader.GetInt32(o + 2), reader.GetString(o + 3), Text(4), reader.GetString(o + 5),
            reader.GetFieldValue<string[]>(o + 6), reader.GetFieldValue<string[]>(o + 7), reader.GetString(o + 8),
            reader.IsDBNull(o + 9) ? null : reader.GetFieldValue<DateOnly>(o + 9), Text(10),
            reader.GetFieldValue<DateTimeOffset>(o + 11), reader.GetFieldValue<DateTimeOffset>(o + 12), reader.GetInt64(o + 13), reader.GetBoolean(o + 14),
            issue,
            JsonSerializer.Deserialize(reader.GetString(o + 22), TasksJsonContext.Default.ListTaskCommit) ?? [],
            Text(21));
    }

    private DateTimeOffset Now()
    {
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }
}
