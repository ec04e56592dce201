using DevMentor.Core.Data;
using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines.Reports;

namespace DevMentor.Core.Pipelines.Results;

/// <summary>
/// What a runner sends about a running step besides its log: test results and artifacts. Both
/// are fenced like log chunks: only the attempt that holds the step's lease may write them
/// (the check is the pipeline store's, <see cref="PostgresPipelineStore.LockHeldStepAsync"/>).
/// </summary>
public sealed class BuildResults(Database database, PostgresPipelineStore steps, TestResultStore tests, IArtifactStore artifacts)
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
        if (await steps.LockHeldStepAsync(connection, transaction, stepId, attempt, owner, cancellationToken) is not { } held)
        {
            return false;
        }

        await tests.ReplaceAsync(connection, transaction, held.RunId, held.StepName, summary, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <returns>Null when the attempt no longer holds the lease (nothing stored).</returns>
    public async Task<ArtifactInfo?> StoreArtifactAsync(Guid stepId, int attempt, string owner, string name, Stream content, CancellationToken cancellationToken) =>
        await steps.FindHeldStepAsync(stepId, attempt, owner, cancellationToken) is { } held
            ? await artifacts.PutAsync(held.ProjectId, held.RunId, held.StepName, name, content, cancellationToken)
            : null;
}
