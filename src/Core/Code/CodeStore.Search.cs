using NpgsqlTypes;

namespace DevMentor.Core.Code;

/// <summary>A default-branch file as search keeps it; <see cref="Content"/> is null for binaries and files over 1 MiB.</summary>
public sealed record SearchFile(string Path, string BlobSha, string? Language, string? Content);

public sealed partial class CodeStore
{
    /// <summary>path → blob sha of what search holds for the project.</summary>
    public async Task<Dictionary<string, string>> SearchEntriesAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT path, blob_sha FROM code_search_files WHERE project_id = $1");
        command.Parameters.AddWithValue(projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries[reader.GetString(0)] = reader.GetString(1);
        }

        return entries;
    }

    public async Task ApplySearchAsync(Guid projectId, IReadOnlyList<SearchFile> upserts, IReadOnlyList<string> deletes, CancellationToken cancellationToken)
    {
        await using var batch = database.DataSource.CreateBatch();
        var delete = new Npgsql.NpgsqlBatchCommand("DELETE FROM code_search_files WHERE project_id = $1 AND path = ANY($2)");
        delete.Parameters.AddWithValue(projectId);
        delete.Parameters.AddWithValue(deletes.ToArray());
        batch.BatchCommands.Add(delete);
        var upsert = new Npgsql.NpgsqlBatchCommand("""
            INSERT INTO code_search_files (project_id, path, blob_sha, language, content)
            SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
            ON CONFLICT (project_id, path) DO UPDATE SET blob_sha = excluded.blob_sha, language = excluded.language, content = excluded.content
            """);
        upsert.Parameters.AddWithValue(projectId);
        upsert.Parameters.AddWithValue(upserts.Select(u => u.Path).ToArray());
        upsert.Parameters.AddWithValue(upserts.Select(u => u.BlobSha).ToArray());
        upsert.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, upserts.Select(u => u.Language).ToArray());
        upsert.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, upserts.Select(u => u.Content).ToArray());
        batch.BatchCommands.Add(upsert);
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The ref's synced head, to tell whether a sync still speaks for it.</summary>
    public async Task<string?> RefHeadAsync(Guid projectId, string gitRef, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT commit_sha FROM code_refs WHERE project_id = $1 AND ref = $2");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(gitRef);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>The files of an indexed commit that analysis or dependency parsing may read.</summary>
    public async Task<List<CodeFile>> TreeAsync(Guid projectId, string commitSha, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT path, kind, mode, blob_sha, size, language, is_binary FROM code_files WHERE project_id = $1 AND commit_sha = $2 ORDER BY path");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(commitSha);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var files = new List<CodeFile>();
        while (await reader.ReadAsync(cancellationToken))
        {
            files.Add(new CodeFile(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetBoolean(6)));
        }

        return files;
    }
}
