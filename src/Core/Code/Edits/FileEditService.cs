using DevMentor.Core.Builds.Git;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Code.Edits;

/// <summary>
/// File writes of the code editor integration (PUT/DELETE /projects/{id}/files/{*path}), developers
/// and up, guarded by the blob sha the client read (If-Match; If-None-Match: * to create). GitHub
/// projects commit through the host's contents API (<see cref="IHostedFileCommitter"/>), which checks
/// the sha itself. Other projects commit in the service's mirror and push with a lease on the branch
/// tip the check was made against: when the remote moved meanwhile the push is refused, the mirror
/// is fetched again and the check re-made, so a concurrent change is either kept (another file:
/// the edit is rebased onto it) or reported (this file: 412 with the current ETag), never lost.
/// </summary>
public sealed partial class FileEditService(
    ProjectAccess access, RepositoryMirrors mirrors, CodeSyncService syncs, IEnumerable<IHostedFileCommitter> hosts, ILogger<FileEditService> logger)
{
    /// <summary>The largest content a write takes (the request body limit of the endpoint is derived from it).</summary>
    public const int MaxContentBytes = 5 * 1024 * 1024;

    public const int MaxMessageLength = 4096;

    private const int MaxPushAttempts = 3;

    public async Task<Outcome<FileEditResult>> WriteAsync(Caller caller, string projectId, FileEdit edit, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, projectId, ProjectPermission.WriteCode, cancellationToken);
        if (allowed.Outcome != AccessOutcome.Allowed)
        {
            return allowed.Outcome switch
            {
                AccessOutcome.Forbidden => Fail(OutcomeKind.Forbidden, $"Your role ({allowed.Role}) may not change the project's files; developers and up may."),
                AccessOutcome.Archived => Fail(OutcomeKind.Conflict, "The project is archived (read-only)."),
                _ => Fail(OutcomeKind.NotFound, "No such project."),
            };
        }

        var project = allowed.Project!;
        if (project.Repository is not { } repository)
        {
            return Fail(OutcomeKind.Conflict, "The project has no repository to write to.");
        }

        var branch = edit.Branch ?? repository.DefaultBranch;
        if (CodePaths.BranchRef(branch) is not { } branchRef)
        {
            return Fail(OutcomeKind.Conflict, $"'{branch}' is not a branch the files API can write to.");
        }

        var author = CommitAuthor.For(caller.UserId ?? "admin");
        return hosts.FirstOrDefault(h => h.Handles(repository)) is { } host
            ? await ViaHostAsync(host, repository, branchRef, edit, cancellationToken)
            : await ViaPushAsync(project.Id, repository, branchRef, edit, author, cancellationToken);
    }

    private async Task<Outcome<FileEditResult>> ViaHostAsync(IHostedFileCommitter host, ProjectRepository repository, string branchRef, FileEdit edit, CancellationToken cancellationToken)
    {
        var message = edit.Message ?? $"{(edit.Content is null ? "Delete" : edit.CreateOnly ? "Create" : "Update")} {edit.Path}";
        HostedCommit commit;
        try
        {
            commit = await host.CommitAsync(repository, branchRef["refs/heads/".Length..], edit.Path, edit.Content, edit.CreateOnly ? null : edit.IfMatch, message, cancellationToken);
        }
        catch (HostedCommitException e)
        {
            return Fail(e.NotFound ? OutcomeKind.NotFound : OutcomeKind.UpstreamFailed, e.Message);
        }

        if (commit.Status == HostedCommitStatus.Stale)
        {
            return Stale(edit, branchRef, commit.CurrentBlobSha);
        }

        return Done(edit, branchRef, commit.CommitSha, commit.BlobSha, edit.CreateOnly ? null : edit.IfMatch, syncId: null);
    }

    private async Task<Outcome<FileEditResult>> ViaPushAsync(Guid projectId, ProjectRepository repository, string branchRef, FileEdit edit, CommitAuthor author, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await mirrors.FetchAsync(projectId, repository.CloneUrl, _ => { }, cancellationToken);
            }
            catch (GitCheckoutException e)
            {
                return Fail(OutcomeKind.UpstreamFailed, $"The repository could not be fetched: {e.Message}");
            }

            if (mirrors.Inspect(projectId, branchRef, edit.Path) is not { } state)
            {
                return Fail(OutcomeKind.NotFound, $"The repository has no branch '{branchRef["refs/heads/".Length..]}'.");
            }

            if (Check(edit, branchRef, state) is { } refused)
            {
                return refused;
            }

            var message = edit.Message ?? $"{(edit.Content is null ? "Delete" : state.BlobSha is null ? "Create" : "Update")} {edit.Path}";
            var (commit, blobSha) = mirrors.CommitFile(projectId, state.Head, edit.Path, edit.Content, state.Kind == "executable", state.BlobSha, message, author);
            if (commit is null)
            {
                return Outcome<FileEditResult>.Ok(new FileEditResult(edit.Path, branchRef, state.Head, state.BlobSha, state.BlobSha, false, true, null));
            }

            bool pushed;
            try
            {
                pushed = await mirrors.PushAsync(projectId, repository.CloneUrl, commit, branchRef, state.Head, cancellationToken);
            }
            catch (GitCheckoutException e)
            {
                return Fail(OutcomeKind.UpstreamFailed, $"The repository did not take the commit: {e.Message}");
            }

            if (pushed)
            {
                // Synced like any push: the webhook of a host that sends one finds this sync (one per commit).
                var sync = await syncs.EnqueueAsync(new SyncRequest(projectId, commit, branchRef, state.Head, null, "edit"), cancellationToken);
                return Done(edit, branchRef, commit, blobSha, state.BlobSha, sync.Id);
            }

            LogBranchMoved(logger, projectId, branchRef, attempt);
            if (attempt == MaxPushAttempts)
            {
                return Fail(OutcomeKind.Conflict, $"The branch '{branchRef["refs/heads/".Length..]}' kept moving while the change was pushed ({attempt} tries); read the file again and retry.");
            }
        }
    }

    /// <summary>The client's precondition against what is there now; null when the write may go ahead.</summary>
    private static Outcome<FileEditResult>? Check(FileEdit edit, string branchRef, MirrorPathState state)
    {
        if (state.Problem is { } problem)
        {
            return Fail(OutcomeKind.Conflict, problem);
        }

        if (edit.Content is null && state.BlobSha is null)
        {
            return Fail(OutcomeKind.NotFound, $"There is no file '{edit.Path}' on '{branchRef["refs/heads/".Length..]}'.");
        }

        if (edit.CreateOnly ? state.BlobSha is not null : !string.Equals(state.BlobSha, edit.IfMatch, StringComparison.OrdinalIgnoreCase))
        {
            return Stale(edit, branchRef, state.BlobSha);
        }

        return null;
    }

    private static Outcome<FileEditResult> Stale(FileEdit edit, string branchRef, string? current) => new(
        OutcomeKind.PreconditionFailed,
        new FileEditResult(edit.Path, branchRef, null, current, null, false, false, null),
        current is null
            ? $"'{edit.Path}' does not exist on '{branchRef["refs/heads/".Length..]}' (any more)."
            : edit.CreateOnly
                ? $"'{edit.Path}' already exists (ETag \"{current}\"); send If-Match with it to replace it."
                : $"'{edit.Path}' changed since it was read: it is now \"{current}\". Read it again and retry with that ETag.");

    private static Outcome<FileEditResult> Done(FileEdit edit, string branchRef, string? commit, string? blobSha, string? previous, Guid? syncId)
    {
        var created = edit.Content is not null && previous is null;
        return new Outcome<FileEditResult>(created ? OutcomeKind.Created : OutcomeKind.Ok, new FileEditResult(edit.Path, branchRef, commit, blobSha, previous, created, false, syncId));
    }

    private static Outcome<FileEditResult> Fail(OutcomeKind kind, string detail) => Outcome<FileEditResult>.Fail(kind, detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "File write to {ProjectId} {Branch}: the branch moved before the push (try {Attempt}); fetching again")]
    private static partial void LogBranchMoved(ILogger logger, Guid projectId, string branch, int attempt);
}
