using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Code;

/// <summary>All SQL of code sync: syncs and their stages, refs, trees, metrics, dependencies, the search copy (partial files by table).</summary>
public sealed partial class CodeStore(Database database)
{
    private const string SyncColumns = "id, project_id, commit_sha, ref, before_sha, forced, delivery_id, trigger, status, attempts, summary, error, created_at, started_at, finished_at, build::text";

    /// <returns>The sync of this commit (new, or the one already there) and whether this call made it.</returns>
    public async Task<(CodeSync Sync, bool Created)> EnqueueAsync(SyncRequest request, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            WITH inserted AS (
                INSERT INTO code_syncs (id, project_id, commit_sha, ref, before_sha, delivery_id, trigger, build)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
                ON CONFLICT (project_id, commit_sha) DO NOTHING
                RETURNING {SyncColumns}, true AS created)
            SELECT * FROM inserted
            UNION ALL
            SELECT {SyncColumns}, false FROM code_syncs WHERE project_id = $2 AND commit_sha = $3 AND NOT EXISTS (SELECT 1 FROM inserted)
            """);
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(request.ProjectId);
        command.Parameters.AddWithValue(request.CommitSha);
        command.Parameters.AddWithValue((object?)request.Ref ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)request.BeforeSha ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)request.DeliveryId ?? DBNull.Value);
        command.Parameters.AddWithValue(request.Trigger);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text,
            request.Build is null ? DBNull.Value : System.Text.Json.JsonSerializer.Serialize(request.Build, CodeJsonContext.Default.SyncBuild));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (ReadSync(reader), reader.GetBoolean(16));
    }

    /// <summary>A failed sync asked for again starts over from its first unfinished stage.</summary>
    public async Task<bool> RequeueFailedAsync(Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE code_syncs SET status = 'queued', attempts = 0, error = NULL, finished_at = NULL WHERE id = $1 AND status = 'failed'");
        command.Parameters.AddWithValue(syncId);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Syncs not finished and stored more than <paramref name="olderThan"/> ago, oldest first: what the sweep checks for a missing orchestration.</summary>
    public async Task<List<CodeSync>> UnfinishedSyncsAsync(TimeSpan olderThan, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            SELECT {SyncColumns} FROM code_syncs
            WHERE status IN ('queued', 'running') AND created_at < now() - $1
            ORDER BY created_at LIMIT $2
            """);
        command.Parameters.AddWithValue(olderThan);
        command.Parameters.AddWithValue(limit);
        var syncs = new List<CodeSync>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            syncs.Add(ReadSync(reader));
        }

        return syncs;
    }

    /// <summary>A sync run by its Durable orchestration (no lease: the orchestration is its owner) starts, or starts again.</summary>
    public async Task<CodeSync?> BeginAsync(Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            UPDATE code_syncs SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now())
            WHERE id = $1 AND status IN ('queued', 'running')
            RETURNING {SyncColumns}
            """);
        command.Parameters.AddWithValue(syncId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSync(reader) : null;
    }

    public async Task SetForcedAsync(Guid syncId, bool forced, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("UPDATE code_syncs SET forced = $2 WHERE id = $1");
        command.Parameters.AddWithValue(syncId);
        command.Parameters.AddWithValue(forced);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task FinishAsync(Guid syncId, string status, string? summary, string? error, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE code_syncs SET status = $2, summary = coalesce($3, summary), error = $4, finished_at = now() WHERE id = $1");
        command.Parameters.AddWithValue(syncId);
        command.Parameters.AddWithValue(status);
        command.Parameters.AddWithValue((object?)summary ?? DBNull.Value);
        command.Parameters.AddWithValue((object?)error ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, SyncStage>> StagesAsync(Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT stage, status, attempts, detail, started_at, finished_at FROM code_sync_stages WHERE sync_id = $1");
        command.Parameters.AddWithValue(syncId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stages = new Dictionary<string, SyncStage>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var stage = ReadStage(reader);
            stages[stage.Stage] = stage;
        }

        return stages;
    }

    public async Task StartStageAsync(Guid syncId, string stage, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO code_sync_stages (sync_id, stage, status) VALUES ($1, $2, 'running')
            ON CONFLICT (sync_id, stage) DO UPDATE SET status = 'running', attempts = code_sync_stages.attempts + 1, detail = NULL, started_at = now(), finished_at = NULL
            """);
        command.Parameters.AddWithValue(syncId);
        command.Parameters.AddWithValue(stage);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task FinishStageAsync(Guid syncId, string stage, string status, string? detail, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE code_sync_stages SET status = $3, detail = $4, finished_at = now() WHERE sync_id = $1 AND stage = $2");
        command.Parameters.AddWithValue(syncId);
        command.Parameters.AddWithValue(stage);
        command.Parameters.AddWithValue(status);
        command.Parameters.AddWithValue((object?)detail ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A project's syncs, newest first, with their stages; the cursor is the last id of the previous page (ids are time-ordered).</summary>
    public async Task<SyncPage> ListSyncsAsync(Guid projectId, Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"""
            SELECT {SyncColumns},
                   (SELECT coalesce(jsonb_agg(jsonb_build_array(stage, status, attempts, detail, started_at, finished_at) ORDER BY started_at), '[]')
                    FROM code_sync_stages WHERE sync_id = s.id)::text
            FROM code_syncs s WHERE project_id = $1 AND ($2::uuid IS NULL OR id < $2)
            ORDER BY id DESC LIMIT $3
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Uuid, (object?)after ?? DBNull.Value);
        command.Parameters.AddWithValue(limit + 1);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<CodeSync>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadSync(reader) with { Stages = ParseStages(reader.GetString(16)) });
        }

        var more = items.Count > limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return new SyncPage(items, more ? items[^1].Id.ToString() : null);
    }

    public async Task<CodeSync?> GetSyncAsync(Guid syncId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand($"SELECT {SyncColumns} FROM code_syncs WHERE id = $1");
        command.Parameters.AddWithValue(syncId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSync(reader) with { Stages = [.. (await StagesAsync(syncId, cancellationToken)).Values.OrderBy(s => s.StartedAt)] } : null;
    }

    private static List<SyncStage> ParseStages(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(a => new SyncStage(
            a[0].GetString()!, a[1].GetString()!, a[2].GetInt32(), a[3].ValueKind == System.Text.Json.JsonValueKind.Null ? null : a[3].GetString(),
            a[4].GetDateTimeOffset(), a[5].ValueKind == System.Text.Json.JsonValueKind.Null ? null : a[5].GetDateTimeOffset())).ToList();
    }

    private static CodeSync ReadSync(NpgsqlDataReader r) => new(
        r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4), r.GetBoolean(5),
        r.IsDBNull(6) ? null : r.GetGuid(6), r.GetString(7), r.GetString(8), r.GetInt32(9), r.IsDBNull(10) ? null : r.GetString(10),
        r.IsDBNull(11) ? null : r.GetString(11), r.GetFieldValue<DateTimeOffset>(12), r.IsDBNull(13) ? null : r.GetFieldValue<DateTimeOffset>(13),
        r.IsDBNull(14) ? null : r.GetFieldValue<DateTimeOffset>(14))
    {
        Build = r.IsDBNull(15) ? null : System.Text.Json.JsonSerializer.Deserialize(r.GetString(15), CodeJsonContext.Default.SyncBuild),
    };

    private static SyncStage ReadStage(NpgsqlDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetFieldValue<DateTimeOffset>(4),
        r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5));
}
