using DevMentor.Core.Builds.Artifacts;
using DevMentor.Core.Builds.Reports;
using DevMentor.Core.Data;

namespace DevMentor.Core.Builds.Results;

/// <summary>
/// What a runner sends about a running step besides its log: test results and artifacts. Both
/// are fenced like log chunks: only the attempt that holds the step's lease may write them.
/// </summary>
public sealed class BuildResults(Database database, TestResultStore tests, IArtifactStore artifacts)
{
    /// <summary>The largest artifact a runner may upload (also the runner API's body limit for it).</summary>
    public const long MaxArtifactBytes = 512L * 1024 * 1024;

    public TestResultStore Tests => tests;

    public IArtifactStore Artifacts => artifacts;

    /// <returns>False when the attempt no longer holds the lease (nothing stored).</returns>
    public async Task<bool> RecordTestsAsync(Guid stepId, int attempt, string owner, TestSummary summary, CancellationToken cancellationToken)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var lease = new Npgsql.NpgsqlCommand("""
            SELECT run_id, name FROM pipeline_steps WHERE id = $1 AND attempt = $2 AND lease_owner = $3 AND status = 'running' FOR SHARE
            """, connection, transaction);
        lease.Parameters.AddWithValue(stepId);
        lease.Parameters.AddWithValue(attempt);
        lease.Parameters.AddWithValue(owner);
        Guid runId;
        string step;
        await using (var reader = await lease.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return false;
            }

            (runId, step) = (reader.GetGuid(0), reader.GetString(1));
        }

        await tests.ReplaceAsync(connection, transaction, runId, step, summary, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <returns>Null when the attempt no longer holds the lease (nothing stored).</returns>
    public async Task<ArtifactInfo?> StoreArtifactAsync(Guid stepId, int attempt, string owner, string name, Stream content, CancellationToken cancellationToken)
    {
        await using var lease = database.DataSource.CreateCommand("""
            SELECT s.run_id, r.project_id, s.name FROM pipeline_steps s JOIN pipeline_runs r ON r.id = s.run_id
            WHERE s.id = $1 AND s.attempt = $2 AND s.lease_owner = $3 AND s.status = 'running'
            """);
        lease.Parameters.AddWithValue(stepId);
        lease.Parameters.AddWithValue(attempt);
        lease.Parameters.AddWithValue(owner);
        Guid runId, projectId;
        string step;
        await using (var reader = await lease.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            (runId, projectId, step) = (reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2));
        }

        return await artifacts.PutAsync(projectId, runId, step, name, content, cancellationToken);
    }
}
