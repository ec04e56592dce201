using DevMentor.Core.Code.Edits;
using DevMentor.Core.Git;
using LibGit2Sharp;

namespace DevMentor.Core.Code.Sync;

public sealed partial class RepositoryMirrors
{
    /// <summary>Where a path stands at a branch's tip in the mirror; null when the branch is not there.</summary>
    public MirrorPathState? Inspect(Guid projectId, string branchRef, string path)
    {
        LibGit2Settings.EnsureApplied();
        if (!Repository.IsValid(PathOf(projectId)))
        {
            return null;
        }

        using var repository = new Repository(PathOf(projectId));
        if (repository.Refs[branchRef]?.ResolveToDirectReference()?.Target is not Commit head)
        {
            return null;
        }

        // A file under a path that is itself a file ("a/b" where "a" is a file) cannot be written.
        var segments = path.Split('/');
        for (var i = 1; i < segments.Length; i++)
        {
            var prefix = string.Join('/', segments[..i]);
            if (head[prefix] is { TargetType: not TreeEntryTargetType.Tree })
            {
                return new MirrorPathState(head.Sha, null, null, $"'{prefix}' is a file, not a folder.");
            }
        }

        return head[path] switch
        {
            null => new MirrorPathState(head.Sha, null, null, null),
            { TargetType: TreeEntryTargetType.Tree } => new MirrorPathState(head.Sha, null, null, $"'{path}' is a folder; write or delete its files one by one."),
            { TargetType: TreeEntryTargetType.GitLink } => new MirrorPathState(head.Sha, null, null, $"'{path}' is a submodule; change it in its own repository."),
            { Mode: Mode.SymbolicLink } => new MirrorPathState(head.Sha, null, null, $"'{path}' is a symbolic link; it cannot be written through the files API."),
            var entry => new MirrorPathState(head.Sha, entry.Target.Sha, entry.Mode == Mode.ExecutableFile ? "executable" : "file", null),
        };
    }

    /// <summary>
    /// Writes a commit on <paramref name="parentSha"/> that puts <paramref name="content"/> at
    /// <paramref name="path"/> (null deletes it, and the folders it leaves empty) into the mirror's
    /// object store. No ref moves: the branch follows only once the remote took the push.
    /// </summary>
    /// <returns>The new commit (null when the content is what the file already holds) and the content's blob sha.</returns>
    public (string? Commit, string? BlobSha) CommitFile(Guid projectId, string parentSha, string path, byte[]? content, bool executable, string? currentBlobSha, string message, CommitAuthor author)
    {
        LibGit2Settings.EnsureApplied();
        using var repository = new Repository(PathOf(projectId));
        var parent = repository.Lookup<Commit>(parentSha) ?? throw new InvalidOperationException($"commit {parentSha} is not in the mirror");
        var tree = TreeDefinition.From(parent.Tree);
        Blob? blob = null;
        if (content is null)
        {
            // git stores no empty folders: removing a folder's last entry removes the folder.
            var target = path;
            while (target.LastIndexOf('/') is var slash and > 0 && parent[target[..slash]].Target is Tree { Count: 1 })
            {
                target = target[..slash];
            }

            tree.Remove(target);
        }
        else
        {
            using var stream = new MemoryStream(content, writable: false);
            blob = repository.ObjectDatabase.CreateBlob(stream);
            if (blob.Sha == currentBlobSha)
            {
                return (null, blob.Sha);
            }

            tree.Add(path, blob, executable ? Mode.ExecutableFile : Mode.NonExecutableFile);
        }

        var now = DateTimeOffset.UtcNow;
        var commit = repository.ObjectDatabase.CreateCommit(
            new Signature(author.Name, author.Email, now), new Signature(CommitAuthor.Service.Name, CommitAuthor.Service.Email, now),
            message, repository.ObjectDatabase.CreateTree(tree), [parent], prettifyMessage: true);
        return (commit.Sha, blob?.Sha);
    }

    /// <summary>
    /// Pushes <paramref name="commitSha"/> to the remote's <paramref name="branchRef"/> only if the
    /// remote's branch is still at <paramref name="expectedSha"/> (a lease), then moves the mirror's
    /// branch to it. False when the remote refused because its branch moved meanwhile.
    /// </summary>
    public async Task<bool> PushAsync(Guid projectId, string cloneUrl, string commitSha, string branchRef, string expectedSha, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(projectId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (!await git.PushCommitAsync(cloneUrl, PathOf(projectId), commitSha, branchRef, expectedSha, settings.GitCredentials, settings.CloneLimits, _ => { }, cancellationToken))
            {
                return false;
            }

            using var repository = new Repository(PathOf(projectId));
            repository.Refs.Add(branchRef, new ObjectId(commitSha), allowOverwrite: true);
            return true;
        }
        finally
        {
            gate.Release();
        }
    }
}
