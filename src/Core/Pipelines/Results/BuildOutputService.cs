using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Pipelines.Reports;
using DevMentor.Core.Data;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Pipelines.Results;

public sealed record RunTests(RunTestSummary? Summary, TestResultPage Page);

/// <summary>Reading a run's test results and artifacts: viewers and above of the run's project.</summary>
public sealed class BuildOutputService(ProjectAccess access, Database database, BuildResults results)
{
    public async Task<Outcome<RunTests>> TestsAsync(Caller caller, string idOrSlug, Guid runId, TestOutcome? outcome, long? after, int limit, CancellationToken cancellationToken)
    {
        if (await RunAsync<RunTests>(caller, idOrSlug, runId, cancellationToken) is { } denied)
        {
            return denied;
        }

        var summary = await results.Tests.SummaryAsync(runId, cancellationToken);
        var page = await results.Tests.ListAsync(runId, outcome, after, limit, cancellationToken);
        return Outcome<RunTests>.Ok(new RunTests(summary, page));
    }

    public async Task<Outcome<IReadOnlyList<ArtifactInfo>>> ArtifactsAsync(Caller caller, string idOrSlug, Guid runId, CancellationToken cancellationToken)
    {
        if (await RunAsync<IReadOnlyList<ArtifactInfo>>(caller, idOrSlug, runId, cancellationToken) is { } denied)
        {
            return denied;
        }

        return Outcome<IReadOnlyList<ArtifactInfo>>.Ok(await results.Artifacts.ListAsync(runId, cancellationToken));
    }

    /// <summary>The artifact's metadata and bytes (dispose the stream).</summary>
    public async Task<Outcome<(ArtifactInfo Info, Stream Content)>> OpenArtifactAsync(Caller caller, string idOrSlug, Guid runId, string name, CancellationToken cancellationToken)
    {
        if (await RunAsync<(ArtifactInfo, Stream)>(caller, idOrSlug, runId, cancellationToken) is { } denied)
        {
            return denied;
        }

        return await results.Artifacts.OpenAsync(runId, name, cancellationToken) is { } open
            ? Outcome<(ArtifactInfo, Stream)>.Ok(open)
            : Outcome<(ArtifactInfo, Stream)>.Fail(OutcomeKind.NotFound, $"Build {runId} has no artifact '{name}'.");
    }

    /// <summary>Null when the caller may read the run; otherwise the failure to answer.</summary>
    private async Task<Outcome<T>?> RunAsync<T>(Caller caller, string idOrSlug, Guid runId, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (allowed.Outcome == AccessOutcome.Forbidden)
        {
            return Outcome<T>.Fail(OutcomeKind.Forbidden, "Your role on this project may not read builds.");
        }

        if (allowed.Outcome is not (AccessOutcome.Allowed or AccessOutcome.Archived))
        {
            return Outcome<T>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'.");
        }

        await using var command = database.DataSource.CreateCommand("SELECT 1 FROM pipeline_runs WHERE id = $1 AND project_id = $2");
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(allowed.Project!.Id);
        return await command.ExecuteScalarAsync(cancellationToken) is null
            ? Outcome<T>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no build {runId}.")
            : null;
    }
}
