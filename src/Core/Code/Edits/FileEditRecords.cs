using DevMentor.Core.Projects;

namespace DevMentor.Core.Code.Edits;

/// <summary>A write of one file asked for by the code editor integration.</summary>
/// <param name="Path">Normalised (<see cref="CodePaths.NormalizeForWrite"/>).</param>
/// <param name="Branch">A branch name or refs/heads/…; null is the repository's default branch.</param>
/// <param name="Content">The new bytes; null deletes the file.</param>
/// <param name="IfMatch">The blob sha the client last read (If-Match); required unless <paramref name="CreateOnly"/>.</param>
/// <param name="CreateOnly">If-None-Match: *: the file must not exist yet.</param>
/// <param name="Message">The commit message; null for "Update|Create|Delete {path}".</param>
public sealed record FileEdit(string Path, string? Branch, byte[]? Content, string? IfMatch, bool CreateOnly, string? Message);

/// <summary>What a write did. On a 412 <see cref="BlobSha"/> is the file's current sha (the ETag to retry with), null when it does not exist.</summary>
/// <param name="Commit">The new commit; null when nothing changed, or for a deletion GitHub does not report.</param>
/// <param name="SyncId">The sync queued for the new commit (a push to a plain git remote); a GitHub project's commit syncs from GitHub's push delivery.</param>
public sealed record FileEditResult(string Path, string Ref, string? Commit, string? BlobSha, string? PreviousBlobSha, bool Created, bool Unchanged, Guid? SyncId);

/// <summary>The commit author the edit is recorded under (the caller), and the service as committer.</summary>
public sealed record CommitAuthor(string Name, string Email)
{
    public static readonly CommitAuthor Service = new("DevMentor", "devmentor@devmentor.invalid");

    /// <summary>The caller's id as the author; characters git's signature cannot hold are dropped.</summary>
    public static CommitAuthor For(string userId)
    {
        var name = new string(userId.Where(c => !char.IsControl(c) && c is not ('<' or '>')).ToArray()).Trim();
        name = name.Length == 0 ? "user" : name;
        var local = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '-').ToArray());
        return new CommitAuthor(name, $"{local}@users.devmentor.invalid");
    }
}

/// <summary>Where a path stands at a branch tip of the mirror.</summary>
/// <param name="BlobSha">The file's blob sha; null when there is no file there.</param>
/// <param name="Kind">file or executable; null when there is no file.</param>
/// <param name="Problem">Why the path cannot be written at all (a folder, a submodule, a symlink, under a file).</param>
public sealed record MirrorPathState(string Head, string? BlobSha, string? Kind, string? Problem);

public enum HostedCommitStatus
{
    Committed,

    /// <summary>The host refused the sha the client sent: the file changed (or exists, or is gone).</summary>
    Stale,
}

/// <param name="CurrentBlobSha">On <see cref="HostedCommitStatus.Stale"/>: the file's sha on the host now, null when it does not exist.</param>
public sealed record HostedCommit(HostedCommitStatus Status, string? CommitSha, string? BlobSha, string? CurrentBlobSha);

/// <summary>
/// Commits a file change through a repository host's API instead of a push (GitHub's contents API
/// for GitHub projects): the host checks the sha itself, and its push delivery syncs the commit.
/// </summary>
public interface IHostedFileCommitter
{
    bool Handles(ProjectRepository repository);

    /// <param name="content">Null deletes.</param>
    /// <param name="expectedSha">The blob sha the file must have; null creates a file that must not exist.</param>
    Task<HostedCommit> CommitAsync(ProjectRepository repository, string branch, string path, byte[]? content, string? expectedSha, string message, CancellationToken cancellationToken);
}

/// <summary>The host refused or failed for another reason than a stale sha; the message says how (never a credential).</summary>
public sealed class HostedCommitException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound { get; } = notFound;
}
