using DevMentor.Core.Data;
using DevMentor.Core.Storage;

namespace DevMentor.Core.Pipelines.Artifacts;

/// <summary>Artifact metadata in PostgreSQL (build_artifacts), bytes content-addressed in the blob store.</summary>
public sealed class PostgresArtifactStore(Database database, IBlobStore blobs) : IArtifactStore
{
    public const string BlobPrefix = "artifacts";

    public async Task<ArtifactInfo> PutAsync(Guid projectId, Guid runId, string step, string name, Stream content, CancellationToken cancellationToken)
    {
        if (ArtifactNames.Check(name) is { } problem)
        {
            throw new ArgumentException(problem, nameof(name));
        }

        var contentType = ArtifactNames.ContentTypeFor(name);
        // The blob first: metadata never points at bytes that are not there.
        var blob = await blobs.PutContentAddressedAsync(BlobPrefix, content, new BlobWriteOptions { ContentType = "application/octet-stream" }, cancellationToken);
        await using var command = database.DataSource.CreateCommand("""
            INSERT INTO build_artifacts (run_id, name, project_id, step, sha256, size, content_type)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (run_id, name) DO UPDATE SET step = excluded.step, sha256 = excluded.sha256, size = excluded.size,
                content_type = excluded.content_type, created_at = now()
            RETURNING created_at
            """);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(step);
        command.Parameters.AddWithValue(blob.Sha256);
        command.Parameters.AddWithValue(blob.Length);
        command.Parameters.AddWithValue(contentType);
        var created = (DateTime)(await command.ExecuteScalarAsync(cancellationToken))!;
        return new ArtifactInfo(runId, step, name, blob.Sha256, blob.Length, contentType, new DateTimeOffset(created, TimeSpan.Zero));
    }

    public async Task<IReadOnlyList<ArtifactInfo>> ListAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT run_id, step, name, sha256, size, content_type, created_at FROM build_artifacts WHERE run_id = $1 ORDER BY name");
        command.Parameters.AddWithValue(runId);
        var items = new List<ArtifactInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(Read(reader));
        }

        return items;
    }

    public async Task<(ArtifactInfo Info, Stream Content)?> OpenAsync(Guid runId, string name, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT run_id, step, name, sha256, size, content_type, created_at FROM build_artifacts WHERE run_id = $1 AND name = $2");
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(name);
        ArtifactInfo info;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            info = Read(reader);
        }

        var download = await blobs.GetAsync(ContentAddress.KeyFor(BlobPrefix, info.Sha256), cancellationToken: cancellationToken);
        return (info, download.Content);
    }

    private static ArtifactInfo Read(Npgsql.NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6));
}
