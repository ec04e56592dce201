using DevMentor.Core.Git;
using LibGit2Sharp;

namespace DevMentor.Core.Builds.Git;

/// <summary>
/// The checkout's local work, done in process with LibGit2Sharp: creating the repository and its
/// remote, checking ref names, resolving revisions, and writing the working tree. No git process
/// runs for these, and no hook, filter program or machine-wide git configuration takes part.
/// </summary>
public sealed partial class GitCheckout
{
    private static readonly LibGit2Repositories Repositories = new();

    private static void InitRepository(Session session, GitRemote remote)
    {
        LibGit2Settings.EnsureApplied();
        try
        {
            Repository.Init(session.Workspace);
            using var repository = new Repository(session.Workspace);
            repository.Network.Remotes.Add("origin", remote.Url);
        }
        catch (LibGit2SharpException e)
        {
            throw new GitCheckoutException(GitCheckoutFailure.Workspace, $"the workspace repository could not be created: {e.Message}", e);
        }

        session.Log($"[devmentor] new repository with remote origin {remote.DisplayUrl}");
    }

    /// <summary>git check-ref-format's rules (libgit2 applies the same ones).</summary>
    private static bool IsValidRefName(string refName) => Reference.IsValidName(refName);

    /// <summary>The full sha of the commit a revision names in the workspace, or null.</summary>
    private static string? Resolve(Session session, string revision)
    {
        using var reader = Repositories.Open(session.Workspace);
        return reader.FindCommit(revision)?.Sha;
    }

    private static bool IsShallow(Session session)
    {
        using var reader = Repositories.Open(session.Workspace);
        return reader.IsShallow;
    }

    /// <summary>
    /// Writes the commit's tree into the workspace and detaches HEAD at it. What the files will
    /// take is summed from the objects' headers first, so a repository too large for the limit is
    /// refused before it fills the disk; the deadline and cancellation are checked file by file.
    /// </summary>
    private static string CheckoutCommit(Session session, string sha)
    {
        using var repository = new Repository(session.Workspace);
        var commit = repository.Lookup<Commit>(sha) ?? throw new GitCheckoutException(GitCheckoutFailure.CommitNotFound, $"commit {sha} is not in the fetched history.");
        var projected = session.WorkspaceBytes() + TreeBytes(repository, commit.Tree, session);
        if (projected > session.Limits.MaxBytes)
        {
            throw new GitCheckoutException(GitCheckoutFailure.SizeLimitExceeded,
                $"the checkout would grow past the size limit ({projected} > {session.Limits.MaxBytes} bytes); nothing was written.");
        }

        session.Log($"[devmentor] checkout {commit.Sha} (detached)");
        var stopped = false;
        var options = new CheckoutOptions
        {
            CheckoutModifiers = CheckoutModifiers.Force,
            CheckoutNotifyFlags = CheckoutNotifyFlags.Updated,
            OnCheckoutNotify = (_, _) => !(stopped = session.Stopping),
        };
        try
        {
            Commands.Checkout(repository, commit, options);
        }
        catch (LibGit2SharpException) when (stopped)
        {
            session.ThrowIfStopping();
        }
        catch (LibGit2SharpException e)
        {
            throw new GitCheckoutException(GitCheckoutFailure.Workspace, $"writing the working tree failed: {e.Message}", e);
        }

        return repository.Head.Tip?.Sha ?? commit.Sha;
    }

    private static long TreeBytes(Repository repository, Tree tree, Session session)
    {
        long total = 0;
        foreach (var entry in tree)
        {
            session.ThrowIfStopping();
            total += entry.TargetType switch
            {
                TreeEntryTargetType.Tree => TreeBytes(repository, (Tree)entry.Target, session),
                TreeEntryTargetType.Blob => repository.ObjectDatabase.RetrieveObjectMetadata(entry.Target.Id).Size,
                _ => 0, // a submodule's commit: nothing of it is checked out
            };
        }

        return total;
    }
}
