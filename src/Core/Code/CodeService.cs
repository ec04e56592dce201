using DevMentor.Core.Code.Dependencies;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Code;

/// <summary>A file's metadata and content at a commit.</summary>
public sealed record FileBlob(CodeFile File, string Commit, byte[] Content);

/// <summary>
/// What the Files, Dependencies, Analysis and Syncs endpoints read, access-checked: viewers read,
/// developers start syncs. A ref that is not synced but is in the mirror is indexed on demand.
/// </summary>
public sealed class CodeService(CodeStore store, ProjectAccess access, CodeIndexer indexer, RepositoryMirrors mirrors, CodeSyncService syncs)
{
    public const int MaxPageSize = 1000;

    public async Task<Outcome<SyncPage>> ListSyncsAsync(Caller caller, string projectId, Guid? after, int limit, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, projectId, ProjectPermission.Read, cancellationToken);
        return allowed.Outcome != AccessOutcome.Allowed
            ? Denied<SyncPage>(allowed)
            : Outcome<SyncPage>.Ok(await store.ListSyncsAsync(allowed.Project!.Id, after, limit, cancellationToken));
    }

    /// <summary>Fetches the mirror, resolves the ref and queues its sync (developers and up).</summary>
    public async Task<Outcome<CodeSync>> StartSyncAsync(Caller caller, string projectId, string? revision, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, projectId, ProjectPermission.StartBuild, cancellationToken);
        if (allowed.Outcome != AccessOutcome.Allowed)
        {
            return Denied<CodeSync>(allowed);
        }

        var project = allowed.Project!;
        if (project.Repository is not { } repository)
        {
            return Outcome<CodeSync>.Fail(OutcomeKind.Conflict, "The project has no repository to sync.");
        }

        try
        {
            await mirrors.FetchAsync(project.Id, repository.CloneUrl, _ => { }, cancellationToken);
        }
        catch (Builds.Git.GitCheckoutException e)
        {
            return Outcome<CodeSync>.Fail(OutcomeKind.UpstreamFailed, $"The repository could not be fetched: {e.Message}");
        }

        var gitRef = revision is null ? "refs/heads/" + repository.DefaultBranch : revision.StartsWith("refs/", StringComparison.Ordinal) ? revision : null;
        string? sha;
        using (var reader = mirrors.Open(project.Id))
        {
            gitRef ??= reader?.References().FirstOrDefault(r => r.ShortName == revision && r.Kind is Git.GitRefKind.Branch or Git.GitRefKind.Tag)?.Name;
            sha = reader?.FindCommit(gitRef ?? revision!)?.Sha;
        }

        if (sha is null)
        {
            return Outcome<CodeSync>.Fail(OutcomeKind.NotFound, $"The repository has no branch, tag or commit '{revision ?? repository.DefaultBranch}'.");
        }

        var sync = await syncs.EnqueueAsync(new SyncRequest(project.Id, sha, gitRef, null, null, "manual"), cancellationToken);
        return new Outcome<CodeSync>(OutcomeKind.Created, sync);
    }

    public async Task<Outcome<FilePage>> ListFilesAsync(
        Caller caller, string projectId, string? revision, string folder, bool recursive, string? after, int limit, CancellationToken cancellationToken)
    {
        var (project, commit, problem) = await ResolveAsync(caller, projectId, revision, cancellationToken);
        if (problem is not null)
        {
            return new Outcome<FilePage>(problem.Kind, default, problem.Detail);
        }

        if (folder.Length > 0 && !await store.FolderExistsAsync(project!.Id, commit!, folder, cancellationToken))
        {
            return Outcome<FilePage>.Fail(OutcomeKind.NotFound, $"There is no folder '{folder}' at {commit}.");
        }

        var items = await store.ListFilesAsync(project!.Id, commit!, folder, recursive, after, limit + 1, cancellationToken);
        var more = items.Count > limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return Outcome<FilePage>.Ok(new FilePage(commit!, items, more ? items[^1].Path : null));
    }

    public async Task<Outcome<FileBlob>> GetFileAsync(Caller caller, string projectId, string? revision, string path, CancellationToken cancellationToken)
    {
        var (project, commit, problem) = await ResolveAsync(caller, projectId, revision, cancellationToken);
        if (problem is not null)
        {
            return new Outcome<FileBlob>(problem.Kind, default, problem.Detail);
        }

        var file = await store.GetFileAsync(project!.Id, commit!, path, cancellationToken);
        if (file is null || file.Kind is "submodule")
        {
            return Outcome<FileBlob>.Fail(OutcomeKind.NotFound, $"There is no file '{path}' at {commit}.");
        }

        await mirrors.EnsureCommitAsync(project.Id, commit!, cancellationToken); // another instance may have synced it
        using var reader = mirrors.Open(project.Id);
        var content = reader?.ReadBlob(file.BlobSha!);
        return content is null
            ? Outcome<FileBlob>.Fail(OutcomeKind.NotFound, $"The content of '{path}' is not in this instance's mirror; sync the project again.")
            : Outcome<FileBlob>.Ok(new FileBlob(file, commit!, content));
    }

    public async Task<Outcome<DependencyList>> DependenciesAsync(Caller caller, string projectId, string? revision, string? ecosystem, bool? direct, CancellationToken cancellationToken)
    {
        var (project, commit, problem) = await ResolveAsync(caller, projectId, revision, cancellationToken);
        if (problem is not null)
        {
            return new Outcome<DependencyList>(problem.Kind, default, problem.Detail);
        }

        await EnsureDependenciesAsync(project!.Id, commit!, cancellationToken);
        var (items, errors) = await store.DependenciesAsync(project.Id, commit!, ecosystem, direct, cancellationToken);
        return Outcome<DependencyList>.Ok(new DependencyList(commit!, items, errors));
    }

    public async Task<Outcome<DependencyChanges>> DependencyChangesAsync(Caller caller, string projectId, string from, string to, CancellationToken cancellationToken)
    {
        var (project, fromCommit, problem) = await ResolveAsync(caller, projectId, from, cancellationToken);
        var (_, toCommit, toProblem) = problem is null ? await ResolveAsync(caller, projectId, to, cancellationToken) : (null, null, null);
        if ((problem ?? toProblem) is { } failed)
        {
            return new Outcome<DependencyChanges>(failed.Kind, default, failed.Detail);
        }

        await EnsureDependenciesAsync(project!.Id, fromCommit!, cancellationToken);
        await EnsureDependenciesAsync(project.Id, toCommit!, cancellationToken);
        var (before, _) = await store.DependenciesAsync(project.Id, fromCommit!, null, null, cancellationToken);
        var (after, _) = await store.DependenciesAsync(project.Id, toCommit!, null, null, cancellationToken);
        return Outcome<DependencyChanges>.Ok(new DependencyChanges(fromCommit!, toCommit!, DependencyDiff.Compare(before, after)));
    }

    public async Task<Outcome<CommitAnalysis>> AnalysisAsync(Caller caller, string projectId, string? revision, CancellationToken cancellationToken)
    {
        var (project, commit, problem) = await ResolveAsync(caller, projectId, revision, cancellationToken);
        if (problem is not null)
        {
            return new Outcome<CommitAnalysis>(problem.Kind, default, problem.Detail);
        }

        var analysis = await store.AnalysisAsync(project!.Id, commit!, cancellationToken);
        if (analysis.AnalysedFiles == 0 && analysis.Files > 0)
        {
            await indexer.AnalyseAsync(project.Id, commit!, cancellationToken); // a ref indexed on demand: analysed on demand too
            analysis = await store.AnalysisAsync(project.Id, commit!, cancellationToken);
        }

        return Outcome<CommitAnalysis>.Ok(analysis);
    }

    private async Task EnsureDependenciesAsync(Guid projectId, string commit, CancellationToken cancellationToken)
    {
        if (!await store.HasDependencyRecordAsync(projectId, commit, cancellationToken))
        {
            await indexer.DependenciesAsync(projectId, commit, cancellationToken);
        }
    }

    private sealed record Problem(OutcomeKind Kind, string Detail);

    /// <summary>The project (readable by the caller) and the commit a ref names: synced, or indexed now from the mirror.</summary>
    private async Task<(Project? Project, string? Commit, Problem? Problem)> ResolveAsync(Caller caller, string projectId, string? revision, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, projectId, ProjectPermission.Read, cancellationToken);
        if (allowed.Outcome != AccessOutcome.Allowed)
        {
            return (null, null, new Problem(OutcomeKind.NotFound, "No such project."));
        }

        var project = allowed.Project!;
        revision ??= project.Repository is { } repository ? "refs/heads/" + repository.DefaultBranch : null;
        if (revision is null)
        {
            return (null, null, new Problem(OutcomeKind.NotFound, "The project has no repository."));
        }

        if (await store.ResolveAsync(project.Id, revision, cancellationToken) is { } synced)
        {
            return (project, synced, null);
        }

        string? sha;
        using (var reader = mirrors.Open(project.Id))
        {
            sha = reader?.FindCommit(revision)?.Sha;
        }

        if (sha is null)
        {
            return (null, null, new Problem(OutcomeKind.NotFound, $"'{revision}' names no synced branch, tag or commit."));
        }

        await indexer.IndexAsync(project.Id, sha, null, cancellationToken);
        return (project, sha, null);
    }

    private static Outcome<T> Denied<T>(ProjectAccessResult result) => result.Outcome switch
    {
        AccessOutcome.Forbidden => Outcome<T>.Fail(OutcomeKind.Forbidden, $"Your role ({result.Role}) may not do this."),
        AccessOutcome.Archived => Outcome<T>.Fail(OutcomeKind.Conflict, "The project is archived (read-only)."),
        _ => Outcome<T>.Fail(OutcomeKind.NotFound, "No such project."),
    };
}
