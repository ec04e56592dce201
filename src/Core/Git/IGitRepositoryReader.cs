namespace DevMentor.Core.Git;

/// <summary>Opens repositories (a working copy, its .git folder, or a bare repository) for reading.</summary>
public interface IGitRepositories
{
    /// <exception cref="GitRepositoryNotFoundException">There is no repository at <paramref name="path"/>.</exception>
    IGitRepositoryReader Open(string path);
}

/// <summary>
/// Read access to one repository: commits, refs, trees, changes between commits, file contents.
/// Calls are synchronous: the work is local disk and CPU in a native library, with nothing to wait
/// on; the long ones (listings, logs, diffs) take a CancellationToken and check it as they go.
/// A reader is not thread-safe (use one per caller), and the streams it opens stay readable until
/// it is disposed, which closes them.
/// </summary>
public interface IGitRepositoryReader : IDisposable
{
    bool IsBare { get; }

    /// <summary>Fetched with a depth: commits at the boundary show no parents.</summary>
    bool IsShallow { get; }

    /// <summary>HEAD's commit; null in a repository without commits.</summary>
    string? HeadSha { get; }

    /// <summary>HEAD's branch (refs/heads/…); null when HEAD is detached.</summary>
    string? HeadBranch { get; }

    /// <summary>
    /// The commit a revision names: a full or abbreviated sha, a ref (refs/heads/main), a branch or
    /// tag name, HEAD, or git's revision syntax (main~2, v1^{commit}). Null when it names nothing
    /// or something other than a commit (an annotated tag is followed to its commit).
    /// </summary>
    GitCommitInfo? FindCommit(string revision);

    /// <summary>Commits reachable from <paramref name="revision"/>, newest first (parents after children), at most <paramref name="max"/>.</summary>
    /// <exception cref="GitRevisionNotFoundException"/>
    IReadOnlyList<GitCommitInfo> Log(string revision, int max, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="descendant"/> or one of its ancestors (a push that is not is a rewrite of history).</summary>
    /// <exception cref="GitRevisionNotFoundException"/>
    bool IsAncestor(string ancestor, string descendant);

    /// <summary>Branches, remote branches and tags (and any other refs), by name.</summary>
    IReadOnlyList<GitRefInfo> References();

    /// <summary>The files (and, not recursive, folders) of a revision's tree, in git's order, read as they are enumerated.</summary>
    /// <exception cref="GitRevisionNotFoundException">No such revision, or <see cref="GitTreeListing.Path"/> is not a folder in it.</exception>
    IEnumerable<GitTreeEntryInfo> ListTree(string revision, GitTreeListing? listing, CancellationToken cancellationToken);

    /// <summary>
    /// What changed from one commit's tree to another's, renames detected (a deleted and an added
    /// file of similar content). The two need not be related: after a force-push the old tip's tree
    /// is compared with the new one's all the same. A null <paramref name="fromRevision"/> compares
    /// with the empty tree (everything added), as for a first push.
    /// </summary>
    /// <exception cref="GitRevisionNotFoundException"/>
    IReadOnlyList<GitChange> Changes(string? fromRevision, string toRevision, CancellationToken cancellationToken);

    /// <summary>A file (or symlink) at a revision; null when the revision has no file at that path.</summary>
    /// <exception cref="GitRevisionNotFoundException"/>
    GitFileInfo? FindFile(string revision, string path);

    /// <summary>A file's content as committed (no line-ending or other filters); null when there is no file at that path.</summary>
    /// <exception cref="GitRevisionNotFoundException"/>
    Stream? OpenFile(string revision, string path);

    /// <summary>A blob's content by its sha (as a tree listing gave it); null when the repository has no such blob.</summary>
    Stream? OpenBlob(string sha);

    /// <summary>A blob's whole content read into memory (no stream is kept open); null when there is no such blob.</summary>
    byte[]? ReadBlob(string sha);
}
