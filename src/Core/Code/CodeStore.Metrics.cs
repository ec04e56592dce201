using System.Text.Json;
using DevMentor.Core.Code.Analysis;
using DevMentor.Core.Code.Dependencies;
using NpgsqlTypes;

namespace DevMentor.Core.Code;

public sealed partial class CodeStore
{
    /// <summary>Of these blobs, the ones not analysed yet for the project.</summary>
    public async Task<HashSet<string>> UnanalysedAsync(Guid projectId, IReadOnlyCollection<string> blobShas, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT b FROM unnest($2::text[]) b EXCEPT SELECT blob_sha FROM code_blob_metrics WHERE project_id = $1");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(blobShas.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var missing = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            missing.Add(reader.GetString(0));
        }

        return missing;
    }

    public async Task SaveMetricsAsync(Guid projectId, IReadOnlyList<FileMetrics> metrics, CancellationToken cancellationToken)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO code_blob_metrics (project_id, blob_sha, language, code_lines, comment_lines, blank_lines, methods, types)
            SELECT $1, b, l, c, m, k, mj::jsonb, tj::jsonb FROM unnest($2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::text[], $8::text[]) AS u(b, l, c, m, k, mj, tj)
            ON CONFLICT (project_id, blob_sha) DO NOTHING
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(metrics.Select(m => m.BlobSha).ToArray());
        command.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, metrics.Select(m => m.Language).ToArray());
        command.Parameters.AddWithValue(metrics.Select(m => m.Lines.Code).ToArray());
        command.Parameters.AddWithValue(metrics.Select(m => m.Lines.Comment).ToArray());
        command.Parameters.AddWithValue(metrics.Select(m => m.Lines.Blank).ToArray());
        command.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text,
            metrics.Select(m => m.CSharp is null ? null : JsonSerializer.Serialize(m.CSharp.Methods, CodeJsonContext.Default.IReadOnlyListMethodMetric)).ToArray());
        command.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text,
            metrics.Select(m => m.CSharp is null ? null : JsonSerializer.Serialize(m.CSharp.Types, CodeJsonContext.Default.IReadOnlyListTypeMetric)).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Totals per language, the ten most complex methods and the ten least maintainable types of an indexed commit.</summary>
    public async Task<CommitAnalysis> AnalysisAsync(Guid projectId, string commitSha, CancellationToken cancellationToken)
    {
        await using var batch = database.DataSource.CreateBatch();
        batch.BatchCommands.Add(Command("""
            SELECT coalesce(f.language, 'Other'), count(*), count(m.blob_sha), coalesce(sum(m.code_lines), 0), coalesce(sum(m.comment_lines), 0), coalesce(sum(m.blank_lines), 0)
            FROM code_files f LEFT JOIN code_blob_metrics m ON m.project_id = f.project_id AND m.blob_sha = f.blob_sha
            WHERE f.project_id = $1 AND f.commit_sha = $2 GROUP BY 1 ORDER BY 4 DESC, 1
            """));
        batch.BatchCommands.Add(Command("""
            SELECT f.path, e->>'name', (e->>'line')::int, (e->>'complexity')::int
            FROM code_files f JOIN code_blob_metrics m ON m.project_id = f.project_id AND m.blob_sha = f.blob_sha
            CROSS JOIN LATERAL jsonb_array_elements(m.methods) e
            WHERE f.project_id = $1 AND f.commit_sha = $2 AND m.methods IS NOT NULL
            ORDER BY 4 DESC, 1, 3 LIMIT 10
            """));
        batch.BatchCommands.Add(Command("""
            SELECT f.path, e->>'name', (e->>'line')::int, (e->>'maintainability')::float8
            FROM code_files f JOIN code_blob_metrics m ON m.project_id = f.project_id AND m.blob_sha = f.blob_sha
            CROSS JOIN LATERAL jsonb_array_elements(m.types) e
            WHERE f.project_id = $1 AND f.commit_sha = $2 AND m.types IS NOT NULL
            ORDER BY 4, 1, 3 LIMIT 10
            """));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var languages = new List<LanguageTotals>();
        var (files, analysed) = (0, 0);
        while (await reader.ReadAsync(cancellationToken))
        {
            files += (int)reader.GetInt64(1);
            analysed += (int)reader.GetInt64(2);
            if (reader.GetInt64(2) > 0)
            {
                languages.Add(new LanguageTotals(reader.GetString(0), (int)reader.GetInt64(2), (int)reader.GetInt64(3), (int)reader.GetInt64(4), (int)reader.GetInt64(5)));
            }
        }

        await reader.NextResultAsync(cancellationToken);
        var methods = new List<ComplexMethod>();
        while (await reader.ReadAsync(cancellationToken))
        {
            methods.Add(new ComplexMethod(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3)));
        }

        await reader.NextResultAsync(cancellationToken);
        var types = new List<TypeMaintainability>();
        while (await reader.ReadAsync(cancellationToken))
        {
            types.Add(new TypeMaintainability(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetDouble(3)));
        }

        return new CommitAnalysis(commitSha, files, analysed, languages.Sum(l => l.Code), languages.Sum(l => l.Comment), languages.Sum(l => l.Blank), languages, methods, types);

        Npgsql.NpgsqlBatchCommand Command(string sql)
        {
            var command = new Npgsql.NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue(projectId);
            command.Parameters.AddWithValue(commitSha);
            return command;
        }
    }

    public async Task ReplaceDependenciesAsync(Guid projectId, string commitSha, IReadOnlyList<Dependency> dependencies, IReadOnlyList<ManifestError> errors, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new Npgsql.NpgsqlBatch(connection, transaction);
        Npgsql.NpgsqlBatchCommand Add(string sql)
        {
            var command = new Npgsql.NpgsqlBatchCommand(sql);
            command.Parameters.AddWithValue(projectId);
            command.Parameters.AddWithValue(commitSha);
            batch.BatchCommands.Add(command);
            return command;
        }

        Add("DELETE FROM code_dependencies WHERE project_id = $1 AND commit_sha = $2");
        Add("DELETE FROM code_manifest_errors WHERE project_id = $1 AND commit_sha = $2");
        var insert = Add("""
            INSERT INTO code_dependencies (project_id, commit_sha, manifest_path, ecosystem, name, declared, resolved, direct, scope)
            SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::text[])
            """);
        insert.Parameters.AddWithValue(dependencies.Select(d => d.ManifestPath).ToArray());
        insert.Parameters.AddWithValue(dependencies.Select(d => d.Ecosystem).ToArray());
        insert.Parameters.AddWithValue(dependencies.Select(d => d.Name).ToArray());
        insert.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, dependencies.Select(d => d.Declared).ToArray());
        insert.Parameters.AddWithValue(NpgsqlDbType.Array | NpgsqlDbType.Text, dependencies.Select(d => d.Resolved).ToArray());
        insert.Parameters.AddWithValue(dependencies.Select(d => d.Direct).ToArray());
        insert.Parameters.AddWithValue(dependencies.Select(d => d.Scope).ToArray());
        var problems = Add("INSERT INTO code_manifest_errors (project_id, commit_sha, path, error) SELECT $1, $2, * FROM unnest($3::text[], $4::text[]) ON CONFLICT DO NOTHING");
        problems.Parameters.AddWithValue(errors.Select(e => e.Path).ToArray());
        problems.Parameters.AddWithValue(errors.Select(e => e.Error).ToArray());
        Add("UPDATE code_commits SET dependencies_parsed = true WHERE project_id = $1 AND commit_sha = $2");
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Whether the dependencies stage (or an on-demand parse) has run for a commit.</summary>
    public async Task<bool> HasDependencyRecordAsync(Guid projectId, string commitSha, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT dependencies_parsed FROM code_commits WHERE project_id = $1 AND commit_sha = $2");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(commitSha);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    public async Task<(List<Dependency> Dependencies, List<ManifestError> Errors)> DependenciesAsync(Guid projectId, string commitSha, string? ecosystem, bool? direct, CancellationToken cancellationToken)
    {
        await using var batch = database.DataSource.CreateBatch();
        var list = new Npgsql.NpgsqlBatchCommand("""
            SELECT ecosystem, name, declared, resolved, direct, scope, manifest_path FROM code_dependencies
            WHERE project_id = $1 AND commit_sha = $2 AND ($3::text IS NULL OR ecosystem = $3) AND ($4::bool IS NULL OR direct = $4)
            ORDER BY ecosystem, name, manifest_path
            """);
        list.Parameters.AddWithValue(projectId);
        list.Parameters.AddWithValue(commitSha);
        list.Parameters.AddWithValue(NpgsqlDbType.Text, (object?)ecosystem ?? DBNull.Value);
        list.Parameters.AddWithValue(NpgsqlDbType.Boolean, (object?)direct ?? DBNull.Value);
        batch.BatchCommands.Add(list);
        var errors = new Npgsql.NpgsqlBatchCommand("SELECT path, error FROM code_manifest_errors WHERE project_id = $1 AND commit_sha = $2 ORDER BY path");
        errors.Parameters.AddWithValue(projectId);
        errors.Parameters.AddWithValue(commitSha);
        batch.BatchCommands.Add(errors);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        var dependencies = new List<Dependency>();
        while (await reader.ReadAsync(cancellationToken))
        {
            dependencies.Add(new Dependency(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetBoolean(4), reader.GetString(5), reader.GetString(6)));
        }

        await reader.NextResultAsync(cancellationToken);
        var problems = new List<ManifestError>();
        while (await reader.ReadAsync(cancellationToken))
        {
            problems.Add(new ManifestError(reader.GetString(0), reader.GetString(1)));
        }

        return (dependencies, problems);
    }
}
