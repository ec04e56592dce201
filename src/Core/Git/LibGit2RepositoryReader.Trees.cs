using LibGit2Sharp;

namespace DevMentor.Core.Git;

public sealed partial class LibGit2RepositoryReader
{
    public IEnumerable<GitTreeEntryInfo> ListTree(string revision, GitTreeListing? listing, CancellationToken cancellationToken)
    {
        listing ??= GitTreeListing.Default;
        var tree = TreeAt(Require(revision), listing.Path, revision);
        var prefix = string.IsNullOrEmpty(listing.Path) ? "" : listing.Path.Trim('/') + "/";
        return Walk(tree, prefix, listing, cancellationToken);
    }

    public IReadOnlyList<GitChange> Changes(string? fromRevision, string toRevision, CancellationToken cancellationToken)
    {
        var from = fromRevision is null ? null : Require(fromRevision).Tree;
        var to = Require(toRevision).Tree;
        cancellationToken.ThrowIfCancellationRequested();
        var changes = _repository.Diff.Compare<TreeChanges>(from, to, new CompareOptions { Similarity = SimilarityOptions.Renames });
        var result = new List<GitChange>(changes.Count);
        foreach (var change in changes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var kind = change.Status switch
            {
                ChangeKind.Added => GitChangeKind.Added,
                ChangeKind.Deleted => GitChangeKind.Deleted,
                ChangeKind.Renamed => GitChangeKind.Renamed,
                ChangeKind.Copied => GitChangeKind.Copied,
                ChangeKind.TypeChanged => GitChangeKind.TypeChanged,
                ChangeKind.Modified => GitChangeKind.Modified,
                _ => (GitChangeKind?)null,
            };
            if (kind is not { } known)
            {
                continue; // unmodified, or states only a working directory has
            }

            result.Add(new GitChange(
                known,
                change.Path.Replace('\\', '/'),
                known is GitChangeKind.Renamed or GitChangeKind.Copied ? change.OldPath.Replace('\\', '/') : null,
                change.Exists ? change.Oid.Sha : null,
                change.OldExists ? change.OldOid.Sha : null,
                change.Exists ? ModeText(change.Mode) : null,
                change.OldExists ? ModeText(change.OldMode) : null));
        }

        return result;
    }

    public GitFileInfo? FindFile(string revision, string path)
    {
        if (FileEntry(Require(revision), path) is not { } entry)
        {
            return null;
        }

        var blob = (Blob)entry.Target;
        return new GitFileInfo(NormalizePath(path), ModeText(entry.Mode), KindOf(entry), blob.Sha, blob.Size, blob.IsBinary);
    }

    public Stream? OpenFile(string revision, string path)
    {
        if (FileEntry(Require(revision), path) is not { } entry)
        {
            return null;
        }

        // The stream reads the blob libgit2 holds for this repository: it is closed with the reader.
        var stream = ((Blob)entry.Target).GetContentStream();
        _openStreams.Add(stream);
        return stream;
    }

    public Stream? OpenBlob(string sha)
    {
        if (sha.Length != 40 || !sha.All(char.IsAsciiHexDigit) || _repository.Lookup<Blob>(sha) is not { } blob)
        {
            return null;
        }

        var stream = blob.GetContentStream();
        _openStreams.Add(stream);
        return stream;
    }

    public byte[]? ReadBlob(string sha)
    {
        if (sha.Length != 40 || !sha.All(char.IsAsciiHexDigit) || _repository.Lookup<Blob>(sha) is not { } blob)
        {
            return null;
        }

        using var stream = blob.GetContentStream();
        var bytes = new byte[blob.Size];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private IEnumerable<GitTreeEntryInfo> Walk(Tree tree, string prefix, GitTreeListing listing, CancellationToken cancellationToken)
    {
        foreach (var entry in tree)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = prefix + entry.Name;
            var kind = KindOf(entry);
            if (kind == GitEntryKind.Directory)
            {
                if (!listing.Recursive)
                {
                    yield return new GitTreeEntryInfo(path, ModeText(entry.Mode), kind, entry.Target.Sha, null, null);
                    continue;
                }

                foreach (var below in Walk((Tree)entry.Target, path + "/", listing, cancellationToken))
                {
                    yield return below;
                }

                continue;
            }

            if (kind == GitEntryKind.Submodule)
            {
                // The commit is another repository's: there is nothing of it here to size or read.
                yield return new GitTreeEntryInfo(path, ModeText(entry.Mode), kind, entry.Target.Sha, null, null);
                continue;
            }

            var id = entry.Target.Id;
            // The object's header alone gives its size; the content is read only to tell binary from text.
            var size = _repository.ObjectDatabase.RetrieveObjectMetadata(id).Size;
            bool? binary = listing.DetectBinary ? ((Blob)entry.Target).IsBinary : null;
            yield return new GitTreeEntryInfo(path, ModeText(entry.Mode), kind, id.Sha, size, binary);
        }
    }

    private static Tree TreeAt(Commit commit, string? path, string revision)
    {
        if (string.IsNullOrEmpty(path?.Trim('/')))
        {
            return commit.Tree;
        }

        return commit.Tree[NormalizePath(path)] is { TargetType: TreeEntryTargetType.Tree } entry
            ? (Tree)entry.Target
            : throw new GitRevisionNotFoundException($"'{path}' is not a folder at {revision}.");
    }

    private static TreeEntry? FileEntry(Commit commit, string path)
    {
        var normalized = NormalizePath(path);
        return normalized.Length > 0 && commit.Tree[normalized] is { TargetType: TreeEntryTargetType.Blob } entry ? entry : null;
    }

    private static string NormalizePath(string path) => path.Replace('\\', '/').Trim('/');

    private static GitEntryKind KindOf(TreeEntry entry) => entry.Mode switch
    {
        Mode.Directory => GitEntryKind.Directory,
        Mode.GitLink => GitEntryKind.Submodule,
        Mode.SymbolicLink => GitEntryKind.Symlink,
        Mode.ExecutableFile => GitEntryKind.ExecutableFile,
        _ => GitEntryKind.File,
    };

    private static string ModeText(Mode mode) => Convert.ToString((int)mode, 8).PadLeft(6, '0');
}
