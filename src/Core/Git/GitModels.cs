namespace DevMentor.Core.Git;

// What the repository reader hands out: plain records, so callers never hold LibGit2Sharp objects
// (which are tied to an open repository and are not thread-safe).

/// <summary>An author or committer, with the time and offset the commit recorded.</summary>
public sealed record GitPerson(string Name, string Email, DateTimeOffset When);

/// <param name="Subject">The message's first line.</param>
/// <param name="Parents">Parent shas in order (the first is the mainline); empty for a root commit or at a shallow boundary.</param>
public sealed record GitCommitInfo(string Sha, string TreeSha, IReadOnlyList<string> Parents, string Message, string Subject, GitPerson Author, GitPerson Committer);

public enum GitEntryKind
{
    File,
    ExecutableFile,
    Symlink,
    Directory,

    /// <summary>A gitlink: another repository's commit, whose content is not in this one.</summary>
    Submodule,
}

/// <param name="Path">Repository-relative, '/'-separated.</param>
/// <param name="Mode">Git's octal mode ("100644", "100755", "120000", "040000", "160000").</param>
/// <param name="Sha">The blob's (tree's, submodule commit's) sha.</param>
/// <param name="Size">Bytes of a blob (a symlink's target text); null for directories and submodules.</param>
/// <param name="IsBinary">Git's heuristic (a NUL byte or too many control characters near the start); null when not asked for or not a file.</param>
public sealed record GitTreeEntryInfo(string Path, string Mode, GitEntryKind Kind, string Sha, long? Size, bool? IsBinary);

/// <summary>How to list a tree.</summary>
/// <param name="Path">A folder to list instead of the root ("src/app").</param>
/// <param name="Recursive">Every file below, without the folders themselves; false: the folder's own entries, folders included.</param>
/// <param name="DetectBinary">Read the start of each blob to tell text from binary (costs a read per file).</param>
public sealed record GitTreeListing(string? Path = null, bool Recursive = true, bool DetectBinary = false)
{
    public static GitTreeListing Default { get; } = new();
}

public enum GitChangeKind
{
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,

    /// <summary>The path changed kind (a file became a symlink or a submodule).</summary>
    TypeChanged,
}

/// <param name="Path">The path after the change (the deleted path for a deletion).</param>
/// <param name="OldPath">Where a renamed or copied file came from; null otherwise.</param>
/// <param name="Sha">The blob after the change; null for a deletion.</param>
/// <param name="OldSha">The blob before the change; null for an addition.</param>
public sealed record GitChange(GitChangeKind Kind, string Path, string? OldPath, string? Sha, string? OldSha, string? Mode, string? OldMode);

public enum GitRefKind
{
    Branch,
    RemoteBranch,
    Tag,
    Other,
}

/// <param name="Name">The full name (refs/heads/main, refs/tags/v1, HEAD of a remote).</param>
/// <param name="ShortName">main, v1, origin/main.</param>
/// <param name="CommitSha">The commit the ref leads to (annotated tags peeled); null when it leads nowhere (a dangling symbolic ref) or to something that is not a commit.</param>
/// <param name="SymbolicTarget">For a symbolic ref (refs/remotes/origin/HEAD), the ref it points to.</param>
public sealed record GitRefInfo(string Name, string ShortName, GitRefKind Kind, string? CommitSha, string? SymbolicTarget);

/// <summary>A file at a revision, without its content.</summary>
public sealed record GitFileInfo(string Path, string Mode, GitEntryKind Kind, string Sha, long Size, bool IsBinary);

/// <summary>The repository, or a revision or path in it, could not be read.</summary>
public class GitReadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>No repository at the path given.</summary>
public sealed class GitRepositoryNotFoundException(string message, Exception? inner = null) : GitReadException(message, inner);

/// <summary>A revision that names no commit (or a path that names no folder in it).</summary>
public sealed class GitRevisionNotFoundException(string message) : GitReadException(message);
