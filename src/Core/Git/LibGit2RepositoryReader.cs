using LibGit2Sharp;

namespace DevMentor.Core.Git;

/// <summary>Opens repositories with LibGit2Sharp (libgit2, in process: no git program needed to read).</summary>
public sealed class LibGit2Repositories : IGitRepositories
{
    public IGitRepositoryReader Open(string path)
    {
        LibGit2Settings.EnsureApplied();
        try
        {
            return new LibGit2RepositoryReader(new Repository(path));
        }
        catch (RepositoryNotFoundException e)
        {
            throw new GitRepositoryNotFoundException($"There is no git repository at {path}.", e);
        }
    }
}

/// <summary>
/// <see cref="IGitRepositoryReader"/> over LibGit2Sharp. Everything handed out is copied into
/// plain records; only content streams refer back to the repository, and they are closed before it.
/// </summary>
public sealed partial class LibGit2RepositoryReader : IGitRepositoryReader
{
    private readonly Repository _repository;
    private readonly List<Stream> _openStreams = [];

    internal LibGit2RepositoryReader(Repository repository) => _repository = repository;

    public bool IsBare => _repository.Info.IsBare;

    public bool IsShallow => _repository.Info.IsShallow;

    public string? HeadSha => _repository.Info.IsHeadUnborn ? null : _repository.Head.Tip?.Sha;

    public string? HeadBranch => _repository.Info.IsHeadDetached ? null : _repository.Head.CanonicalName;

    public GitCommitInfo? FindCommit(string revision) => Resolve(revision) is { } commit ? ToInfo(commit) : null;

    public IReadOnlyList<GitCommitInfo> Log(string revision, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        var tip = Require(revision);
        var commits = new List<GitCommitInfo>(Math.Min(max, 1024));
        var filter = new CommitFilter { IncludeReachableFrom = tip, SortBy = CommitSortStrategies.Topological | CommitSortStrategies.Time };
        foreach (var commit in _repository.Commits.QueryBy(filter))
        {
            if (commits.Count == max)
            {
                break;
            }

            cancellationToken.ThrowIfCancellationRequested();
            commits.Add(ToInfo(commit));
        }

        return commits;
    }

    public bool IsAncestor(string ancestor, string descendant)
    {
        var (older, newer) = (Require(ancestor), Require(descendant));
        return older.Id == newer.Id || _repository.ObjectDatabase.FindMergeBase(older, newer)?.Id == older.Id;
    }

    public IReadOnlyList<GitRefInfo> References()
    {
        var refs = new List<GitRefInfo>();
        foreach (var reference in _repository.Refs)
        {
            var name = reference.CanonicalName;
            var (kind, shortName) =
                name.StartsWith("refs/heads/", StringComparison.Ordinal) ? (GitRefKind.Branch, name["refs/heads/".Length..])
                : name.StartsWith("refs/remotes/", StringComparison.Ordinal) ? (GitRefKind.RemoteBranch, name["refs/remotes/".Length..])
                : name.StartsWith("refs/tags/", StringComparison.Ordinal) ? (GitRefKind.Tag, name["refs/tags/".Length..])
                : (GitRefKind.Other, name);
            var direct = reference.ResolveToDirectReference();
            var commit = direct is null ? null : PeelToCommit(_repository.Lookup(direct.TargetIdentifier));
            refs.Add(new GitRefInfo(name, shortName, kind, commit?.Sha, reference is SymbolicReference symbolic ? symbolic.TargetIdentifier : null));
        }

        refs.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return refs;
    }

    public void Dispose()
    {
        foreach (var stream in _openStreams)
        {
            stream.Dispose();
        }

        _openStreams.Clear();
        _repository.Dispose();
    }

    /// <summary>The commit a revision names, or null; malformed and ambiguous revisions name nothing.</summary>
    private Commit? Resolve(string revision)
    {
        if (string.IsNullOrWhiteSpace(revision) || revision.StartsWith('-') || revision.Any(char.IsControl))
        {
            return null;
        }

        try
        {
            return PeelToCommit(_repository.Lookup(revision));
        }
        catch (LibGit2SharpException)
        {
            // Invalid or ambiguous specifications, objects missing beyond a shallow boundary.
            return null;
        }
    }

    /// <summary>A commit, or the commit an annotated tag leads to; null for trees, blobs and missing objects.</summary>
    private static Commit? PeelToCommit(GitObject? target)
    {
        if (target is null or Commit)
        {
            return (Commit?)target;
        }

        try
        {
            return target.Peel<Commit>();
        }
        catch (LibGit2SharpException)
        {
            return null;
        }
    }

    private Commit Require(string revision) =>
        Resolve(revision) ?? throw new GitRevisionNotFoundException($"'{revision}' names no commit in this repository.");

    private static GitCommitInfo ToInfo(Commit commit) => new(
        commit.Sha,
        commit.Tree.Sha,
        commit.Parents.Select(p => p.Sha).ToList(),
        commit.Message,
        commit.MessageShort,
        new GitPerson(commit.Author.Name, commit.Author.Email, commit.Author.When),
        new GitPerson(commit.Committer.Name, commit.Committer.Email, commit.Committer.When));
}
