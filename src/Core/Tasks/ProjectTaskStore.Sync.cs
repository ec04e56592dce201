using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Tasks;

/// <summary>What an issue delivery did to its task.</summary>
public enum IssueApplied
{
    Created,
    Updated,
    /// <summary>Already seen (its updated_at is not newer than the last one applied).</summary>
    Stale,
    /// <summary>Both sides changed; the issue was newer and won.</summary>
    ConflictIssueWon,
    /// <summary>Both sides changed; the task was newer and won: it must be pushed to the issue.</summary>
    ConflictTaskWon,
}

public sealed partial class ProjectTaskStore
{
    /// <summary>Records the task's issue after a push to it succeeded; the task is synced only if nobody changed it meanwhile.</summary>
    public async Task LinkIssueAsync(Guid taskId, long pushedVersion, string provider, ExternalIssue issue, string? actor, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand($"""
            WITH before AS (SELECT source FROM project_tasks WHERE id = $1 FOR UPDATE)
            UPDATE project_tasks t SET source = $3, external_id = $4, external_number = $5, url = $6, external_updated_at = $7,
                synced_at = CASE WHEN t.version = $2 THEN t.updated_at ELSE t.synced_at END, sync_error = NULL
            FROM before WHERE t.id = $1
            RETURNING before.source, {Prefixed("t.")}
            """, connection, transaction);
        update.Parameters.AddWithValue(taskId);
        update.Parameters.AddWithValue(pushedVersion);
        update.Parameters.AddWithValue(provider);
        update.Parameters.AddWithValue(issue.Id);
        update.Parameters.AddWithValue(issue.Number);
        update.Parameters.AddWithValue(issue.Url is null ? DBNull.Value : issue.Url);
        update.Parameters.AddWithValue(issue.UpdatedAt);
        string? previousSource = null;
        ProjectTask? task = null;
        await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                previousSource = reader.GetString(0);
                task = Read(reader, 1);
            }
        }

        if (task is not null && previousSource == TaskSources.Local)
        {
            await AddEventAsync(connection, transaction, task, Now(), actor, "issue_linked",
                new JsonObject { ["provider"] = provider, ["issue"] = issue.Number, ["url"] = issue.Url }, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task SetSyncErrorAsync(Guid taskId, string error, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("UPDATE project_tasks SET sync_error = $2 WHERE id = $1");
        command.Parameters.AddWithValue(taskId);
        command.Parameters.AddWithValue(error.Length > 500 ? error[..500] : error);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// An issue as its provider now has it, applied to the project's task under the task's row lock
    /// (<see cref="TaskSyncRules.Decide"/>); a new issue becomes a new task with the next number.
    /// </summary>
    public async Task<(IssueApplied Result, ProjectTask Task)> ApplyIssueAsync(Guid projectId, string provider, ExternalIssue issue, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        ProjectTask? current;
        await using (var select = new NpgsqlCommand(
            $"SELECT {Columns} FROM project_tasks WHERE project_id = $1 AND source = $2 AND external_id = $3 FOR UPDATE", connection, transaction))
        {
            select.Parameters.AddWithValue(projectId);
            select.Parameters.AddWithValue(provider);
            select.Parameters.AddWithValue(issue.Id);
            current = await ReadOneAsync(select, cancellationToken);
        }

        if (current is null)
        {
            // Two deliveries of one new issue race to here: the unique (project, source, external_id) lets one insert.
            await using (var guard = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", connection, transaction))
            {
                guard.Parameters.AddWithValue($"{projectId}/{provider}/{issue.Id}");
                await guard.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var again = new NpgsqlCommand($"SELECT {Columns} FROM project_tasks WHERE project_id = $1 AND source = $2 AND external_id = $3", connection, transaction);
            again.Parameters.AddWithValue(projectId);
            again.Parameters.AddWithValue(provider);
            again.Parameters.AddWithValue(issue.Id);
            current = await ReadOneAsync(again, cancellationToken);
        }

        var decision = TaskSyncRules.Decide(current, issue);
        ProjectTask task;
        if (current is null)
        {
            task = await InsertAsync(connection, transaction, Guid.CreateVersion7(now), projectId, decision.Fields!, true, provider, now, provider, issue, cancellationToken);
            await AddEventAsync(connection, transaction, task, now, provider, "created", Describe(task.Fields), cancellationToken);
        }
        else if (decision.Fields is { } fields)
        {
            await using var update = new NpgsqlCommand($"""
                UPDATE project_tasks SET title = $3, body = $4, state = $5, labels = $6, assignees = $7, priority = $8, due_date = $9,
                    url = coalesce($10, url), external_number = $11, external_updated_at = $12,
                    version = CASE WHEN $2 THEN version + 1 ELSE version END,
                    updated_at = CASE WHEN $2 THEN $13 ELSE updated_at END,
                    synced_at = CASE WHEN $2 THEN $13 ELSE updated_at END
                WHERE id = $1
                RETURNING {Columns}
                """, connection, transaction);
            update.Parameters.AddWithValue(current.Id);
            update.Parameters.AddWithValue(!SameFields(fields, current.Fields));
            AddFields(update, fields);
            update.Parameters.AddWithValue(issue.Url is null ? DBNull.Value : issue.Url);
            update.Parameters.AddWithValue(issue.Number);
            update.Parameters.AddWithValue(issue.UpdatedAt);
            update.Parameters.AddWithValue(now);
            task = (await ReadOneAsync(update, cancellationToken))!;
        }
        else
        {
            await using var seen = new NpgsqlCommand($"""
                UPDATE project_tasks SET external_updated_at = greatest(external_updated_at, $2) WHERE id = $1 RETURNING {Columns}
                """, connection, transaction);
            seen.Parameters.AddWithValue(current.Id);
            seen.Parameters.AddWithValue(issue.UpdatedAt);
            task = (await ReadOneAsync(seen, cancellationToken))!;
        }

        if (decision.Event is { } kind)
        {
            await AddEventAsync(connection, transaction, task, now, provider, kind, decision.Detail ?? [], cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (decision.Result, task);
    }

    /// <summary>A commit that says it fixes task <paramref name="number"/>: linked once, and the task closed if it was not finished.</summary>
    /// <returns>The task after the change; null when there is no such task or the commit was already linked.</returns>
    public async Task<ProjectTask?> LinkCommitAsync(Guid projectId, int number, TaskCommit commit, string actor, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var update = new NpgsqlCommand($"""
            UPDATE project_tasks SET linked_commits = linked_commits || $3,
                state = CASE WHEN state IN ('done', 'closed') THEN state ELSE 'closed' END,
                version = version + 1, updated_at = $4
            WHERE project_id = $1 AND number = $2 AND NOT linked_commits @> jsonb_build_array(jsonb_build_object('sha', $5::text))
            RETURNING {Columns}
            """, connection, transaction);
        update.Parameters.AddWithValue(projectId);
        update.Parameters.AddWithValue(number);
        update.Parameters.Add(new NpgsqlParameter
        {
            NpgsqlDbType = NpgsqlDbType.Jsonb,
            Value = JsonSerializer.Serialize(new List<TaskCommit> { commit }, TasksJsonContext.Default.ListTaskCommit),
        });
        update.Parameters.AddWithValue(now);
        update.Parameters.AddWithValue(commit.Sha);
        var task = await ReadOneAsync(update, cancellationToken);
        if (task is not null)
        {
            await AddEventAsync(connection, transaction, task, now, actor, "commit",
                new JsonObject { ["sha"] = commit.Sha, ["url"] = commit.Url, ["message"] = commit.Message, ["state"] = task.State }, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return task;
    }

    private static bool SameFields(TaskFields a, TaskFields b) =>
        a.Title == b.Title && a.Body == b.Body && a.State == b.State && a.Priority == b.Priority && a.DueDate == b.DueDate &&
        a.Labels.SequenceEqual(b.Labels) && a.Assignees.SequenceEqual(b.Assignees);

    private static string Prefixed(string prefix) =>
        string.Join(", ", Columns.Split(',', StringSplitOptions.TrimEntries).Select(c => prefix + c));
}
