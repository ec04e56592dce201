using DevMentor.Core.Builds.Git;
using DevMentor.Core.Projects;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Code.Sync;

/// <summary>A stage failed in a way that a later attempt cannot fix (no repository, the commit is gone).</summary>
public sealed class SyncFailedException(string message) : Exception(message);

/// <summary>
/// The code sync of one (project, commit), as explicit stages: fetch → index → dependencies →
/// analyse → build → status. Each stage records its start and end in code_sync_stages and is
/// idempotent (it replaces what an interrupted attempt of it wrote), and a run skips the stages
/// already done, so a sync resumed after a crash picks up where it stopped. Each stage is one
/// activity of the <see cref="CodeSyncOrchestration"/> (ADR 0035), which calls them in order.
/// </summary>
public sealed partial class CodeSyncService(
    CodeStore store,
    ProjectReader projects,
    RepositoryMirrors mirrors,
    CodeIndexer indexer,
    IEnumerable<ISyncBuildStarter> buildStarters,
    IEnumerable<IAnalysisStatusReporter> statusReporters,
    ISyncScheduler scheduler,
    ILogger<CodeSyncService> logger)
{
    /// <summary>
    /// Stores a sync and starts its orchestration; a commit already synced (or on its way) is not synced again, only its ref moves.
    /// A sync stored but not started (no Durable client yet, or the service died in between) is started by <see cref="CodeSyncSweep"/>.
    /// </summary>
    public async Task<CodeSync> EnqueueAsync(SyncRequest request, CancellationToken cancellationToken)
    {
        var (sync, created) = await store.EnqueueAsync(request, cancellationToken);
        if (!created)
        {
            if (sync.Status == "failed" && await store.RequeueFailedAsync(sync.Id, cancellationToken))
            {
                sync = sync with { Status = "queued" };
            }

            if (request.Ref is { } gitRef && await store.IsIndexedAsync(request.ProjectId, request.CommitSha, cancellationToken))
            {
                await store.UpsertRefAsync(request.ProjectId, gitRef, request.CommitSha, cancellationToken);
            }
        }

        if (sync.Status == "queued")
        {
            await scheduler.ScheduleAsync(sync, cancellationToken);
        }

        return sync;
    }

    /// <summary>A deleted branch or tag: its head is forgotten (the commits' indexes stay, other refs may share them).</summary>
    public Task<bool> RefDeletedAsync(Guid projectId, string gitRef, CancellationToken cancellationToken)
    {
        mirrors.RemoveRef(projectId, gitRef);
        return store.DeleteRefAsync(projectId, gitRef, cancellationToken);
    }

    /// <summary>
    /// One stage, recorded in code_sync_stages, unless an earlier run finished it: what the Durable
    /// activity (<see cref="CodeSyncStageActivity"/>) runs, at least once per stage.
    /// </summary>
    /// <returns>The stage's status: succeeded or skipped.</returns>
    public async Task<string> RunStageOnceAsync(CodeSync sync, string stage, CancellationToken cancellationToken)
    {
        var done = await store.StagesAsync(sync.Id, cancellationToken);
        if (done.TryGetValue(stage, out var previous) && previous.Status is "succeeded" or "skipped")
        {
            return previous.Status;
        }

        await store.StartStageAsync(sync.Id, stage, cancellationToken);
        string? detail;
        try
        {
            detail = await RunStageAsync(stage, sync, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await store.FinishStageAsync(sync.Id, stage, "failed", e.Message, CancellationToken.None);
            LogStageFailed(logger, sync.ProjectId, sync.CommitSha, stage, e.Message);
            throw;
        }

        var status = detail is null ? "skipped" : "succeeded";
        await store.FinishStageAsync(sync.Id, stage, status, detail, cancellationToken);
        return status;
    }

    /// <returns>A one-line detail, or null when the stage had nothing to do (recorded as skipped).</returns>
    public Task<string?> RunStageAsync(string stage, CodeSync sync, CancellationToken cancellationToken) => stage switch
    {
        SyncStages.Fetch => FetchAsync(sync, cancellationToken),
        SyncStages.Index => indexer.IndexAsync(sync.ProjectId, sync.CommitSha, sync.Ref, cancellationToken),
        SyncStages.Dependencies => indexer.DependenciesAsync(sync.ProjectId, sync.CommitSha, cancellationToken),
        SyncStages.Analyse => AnalyseAsync(sync, cancellationToken),
        SyncStages.Build => BuildAsync(sync, cancellationToken),
        SyncStages.Status => StatusAsync(sync, cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "unknown stage"),
    };

    private async Task<string?> FetchAsync(CodeSync sync, CancellationToken cancellationToken)
    {
        var project = (await projects.GetAsync(sync.ProjectId.ToString(), cancellationToken))?.Project
                      ?? throw new SyncFailedException("the project no longer exists");
        var repository = project.Repository ?? throw new SyncFailedException("the project has no repository");
        string detail;
        using (var existing = mirrors.Open(sync.ProjectId))
        {
            detail = existing?.FindCommit(sync.CommitSha) is not null ? "the commit was already in the mirror" : "";
        }

        if (detail.Length == 0)
        {
            try
            {
                var fetched = await mirrors.FetchAsync(sync.ProjectId, repository.CloneUrl, _ => { }, cancellationToken);
                detail = $"{(fetched.Created ? "mirrored" : "fetched")} ({fetched.SizeBytes} bytes)";
            }
            catch (GitCheckoutException e) when (!e.InfrastructureFailure)
            {
                throw new SyncFailedException(e.Message);
            }
        }

        using var reader = mirrors.Open(sync.ProjectId) ?? throw new SyncFailedException("the mirror could not be opened");
        if (reader.FindCommit(sync.CommitSha) is null)
        {
            throw new SyncFailedException($"commit {sync.CommitSha} is not on the remote (force-pushed away?)");
        }

        // A push whose old tip is not an ancestor of the new one rewrote history.
        if (sync.BeforeSha is { } before && !IsZero(before) && reader.FindCommit(before) is not null && !reader.IsAncestor(before, sync.CommitSha))
        {
            await store.SetForcedAsync(sync.Id, true, cancellationToken);
            detail += "; forced update";
        }

        return detail;
    }

    private async Task<string?> AnalyseAsync(CodeSync sync, CancellationToken cancellationToken)
    {
        var detail = await indexer.AnalyseAsync(sync.ProjectId, sync.CommitSha, cancellationToken);
        var project = (await projects.GetAsync(sync.ProjectId.ToString(), cancellationToken))?.Project;
        if (project?.Repository is { } repository && sync.Ref == "refs/heads/" + repository.DefaultBranch)
        {
            detail += "; " + await indexer.UpdateSearchAsync(sync.ProjectId, sync.CommitSha, sync.Ref, cancellationToken);
        }

        return detail;
    }

    private async Task<string?> BuildAsync(CodeSync sync, CancellationToken cancellationToken)
    {
        if (sync.Build is not { } build || buildStarters.FirstOrDefault() is not { } starter)
        {
            return null;
        }

        var runId = await starter.StartAsync(sync.ProjectId, sync.CommitSha, build, cancellationToken);
        return $"run {runId}";
    }

    private async Task<string?> StatusAsync(CodeSync sync, CancellationToken cancellationToken)
    {
        if (statusReporters.FirstOrDefault() is not { } reporter)
        {
            return null;
        }

        var summary = await SummaryAsync(sync, cancellationToken);
        return await reporter.ReportAsync(sync.ProjectId, sync.CommitSha, true, summary, cancellationToken) ? $"devmentor/analysis: {summary}" : null;
    }

    /// <summary>The one line the commit status and the sync record show.</summary>
    public async Task<string> SummaryAsync(CodeSync sync, CancellationToken cancellationToken)
    {
        var analysis = await store.AnalysisAsync(sync.ProjectId, sync.CommitSha, cancellationToken);
        var (dependencies, errors) = await store.DependenciesAsync(sync.ProjectId, sync.CommitSha, null, null, cancellationToken);
        var complex = analysis.MostComplexMethods.Count > 0 ? analysis.MostComplexMethods[0] : null;
        return $"{analysis.Files} files, {analysis.Code} code lines, {dependencies.Count} dependencies" +
               (errors.Count > 0 ? $" ({errors.Count} unreadable manifests)" : "") +
               (complex is null ? "" : $", max complexity {complex.Complexity}");
    }

    private static bool IsZero(string sha) => sha.Length > 0 && sha.All(c => c == '0');

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sync of {ProjectId}@{Commit}: stage {Stage} failed: {Error}")]
    private static partial void LogStageFailed(ILogger logger, Guid projectId, string commit, string stage, string error);
}
