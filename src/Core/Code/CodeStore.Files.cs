using NpgsqlTypes;

namespace DevMentor.Core.Code;

public sealed partial class CodeStore
{
    public async Task UpsertRefAsync(Guid projectId, string gitRef, string commitSha, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO code_refs (project_id, ref, commit_sha) VALUES ($1, $2, $3)
            ON CONFLICT (project_id, ref) DO UPDATE SET commit_sha = excluded.commit_sha, updated_at = now()
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(gitRef);
        command.Parameters.AddWithValue(commitSha);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> DeleteRefAsync(Guid projectId, string gitRef, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("DELETE FROM code_refs WHERE project_id = $1 AND ref = $2");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(gitRef);
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    /// <summary>The commit a synced ref (refs/heads/main), branch or tag name, or indexed commit sha (full or 7+ prefix) names.</summary>
    public async Task<string?> ResolveAsync(Guid projectId, string revision, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT commit_sha FROM (
                SELECT commit_sha, 0 AS rank FROM code_refs WHERE project_id = $1 AND ref IN ($2, 'refs/heads/' || $2, 'refs/tags/' || $2)
                UNION ALL
                SELECT commit_sha, 1 FROM code_commits WHERE project_id = $1 AND length($2) >= 7 AND commit_sha LIKE $3
            ) r ORDER BY rank LIMIT 2
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(revision);
        command.Parameters.AddWithValue(revision.All(char.IsAsciiHexDigitLower) ? revision + "%" : "-");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? reader.GetString(0) : null;
    }

    public async Task<bool> IsIndexedAsync(Guid projectId, string commitSha, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT 1 FROM code_commits WHERE project_id = $1 AND commit_sha = $2");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(commitSha);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Writes a commit's whole tree in one transaction (binary COPY), replacing any partial earlier attempt.</summary>
    public async Task ReplaceTreeAsync(Guid projectId, string commitSha, IReadOnlyList<CodeFile> files, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new Npgsql.NpgsqlCommand("DELETE FROM code_files WHERE project_id = $1 AND commit_sha = $2", connection, transaction))
        {
            delete.Parameters.AddWithValue(projectId);
            delete.Parameters.AddWithValue(commitSha);
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var import = await connection.BeginBinaryImportAsync(
            "COPY code_files (project_id, commit_sha, path, mode, kind, blob_sha, size, language, is_binary) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var file in files)
            {
                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(projectId, NpgsqlDbType.Uuid, cancellationToken);
                await import.WriteAsync(commitSha, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(file.Path, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(file.Mode, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(file.Kind, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(file.BlobSha ?? "", NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(import, file.Size, NpgsqlDbType.Bigint, cancellationToken);
                await WriteNullableAsync(import, file.Language, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(file.IsBinary, NpgsqlDbType.Boolean, cancellationToken);
            }

            await import.CompleteAsync(cancellationToken);
        }

        await using (var commit = new Npgsql.NpgsqlCommand("""
            INSERT INTO code_commits (project_id, commit_sha, file_count, total_bytes) VALUES ($1, $2, $3, $4)
            ON CONFLICT (project_id, commit_sha) DO UPDATE SET file_count = excluded.file_count, total_bytes = excluded.total_bytes, indexed_at = now()
            """, connection, transaction))
        {
            commit.Parameters.AddWithValue(projectId);
            commit.Parameters.AddWithValue(commitSha);
            commit.Parameters.AddWithValue(files.Count);
            commit.Parameters.AddWithValue(files.Sum(f => f.Size ?? 0));
            await commit.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static Task WriteNullableAsync<T>(Npgsql.NpgsqlBinaryImporter import, T? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? import.WriteNullAsync(cancellationToken) : import.WriteAsync(value, type, cancellationToken);

    /// <summary>
    /// A page of a commit's tree below <paramref name="folder"/> ("" for the root), in bytewise path
    /// order after <paramref name="after"/>. Not recursive: the folder's own files and its
    /// sub-folders (kind directory), each once.
    /// </summary>
    public async Task<List<CodeFile>> ListFilesAsync(Guid projectId, string commitSha, string folder, bool recursive, string? after, int limit, CancellationToken cancellationToken)
    {
        var prefix = folder.Length == 0 ? "" : folder + "/";
        // Bytewise range instead of LIKE: the primary key's order serves it, and % or _ in names mean nothing.
        var upper = folder.Length == 0 ? null : folder + "0"; // '0' follows '/'
        var sql = recursive
            ? """
              SELECT path, kind, mode, blob_sha, size, language, is_binary FROM code_files
              WHERE project_id = $1 AND commit_sha = $2 AND path >= $3 AND ($4::text IS NULL OR path < $4) AND ($5::text IS NULL OR path > $5)
              ORDER BY path LIMIT $6
              """
            : """
              SELECT $3 || name, CASE WHEN dir THEN 'directory' ELSE kind END, CASE WHEN dir THEN '040000' ELSE mode END,
                     CASE WHEN dir THEN NULL ELSE blob_sha END, CASE WHEN dir THEN NULL ELSE size END, CASE WHEN dir THEN NULL ELSE language END, NOT dir AND is_binary
              FROM (
                  SELECT DISTINCT ON (name) name, dir, kind, mode, blob_sha, size, language, is_binary
                  FROM (SELECT split_part(substr(path, length($3) + 1), '/', 1) COLLATE "C" AS name, strpos(substr(path, length($3) + 1), '/') > 0 AS dir,
                               kind, mode, blob_sha, size, language, is_binary
                        FROM code_files
                        WHERE project_id = $1 AND commit_sha = $2 AND path >= $3 AND ($4::text IS NULL OR path < $4)) children
                  WHERE $5::text IS NULL OR $3 || name > $5
                  ORDER BY name, dir DESC) entries
              ORDER BY name LIMIT $6
              """;
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(commitSha);
        command.Parameters.AddWithValue(prefix);
        command.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)upper ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)after ?? DBNull.Value);
        command.Parameters.AddWithValue(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var files = new List<CodeFile>();
        while (await reader.ReadAsync(cancellationToken))
        {
            files.Add(new CodeFile(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetBoolean(6)));
        }

        return files;
    }

    public async Task<CodeFile?> GetFileAsync(Guid projectId, string commitSha, string path, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT path, kind, mode, blob_sha, size, language, is_binary FROM code_files WHERE project_id = $1 AND commit_sha = $2 AND path = $3");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(commitSha);
        command.Parameters.AddWithValue(path);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CodeFile(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetBoolean(6))
            : null;
    }

    /// <summary>Whether a folder exists at a commit (some file lies below it).</summary>
    public async Task<bool> FolderExistsAsync(Guid projectId, string commitSha, string folder, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT 1 FROM code_files WHERE project_id = $1 AND commit_sha = $2 AND path >= $3 AND path < $4 LIMIT 1");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(commitSha);
        command.Parameters.AddWithValue(folder + "/");
        command.Parameters.AddWithValue(folder + "0");
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }
}
