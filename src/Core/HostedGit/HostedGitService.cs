using System.Collections.Concurrent;
using System.Text.Json;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.HostedGit;

public enum GitAccess
{
    Allowed,
    /// <summary>No caller: 401 with a Basic challenge, so git asks for credentials.</summary>
    Unauthenticated,
    /// <summary>No such hosted repository, or one the caller may not see (existence is not revealed).</summary>
    NotFound,
    /// <summary>The caller sees the project but may not push (viewer, or archived).</summary>
    Forbidden,
}

/// <summary>What a smart-HTTP request may do.</summary>
/// <param name="IsPush">The request is part of a push (receive-pack advertisement or pack).</param>
/// <param name="AllowPush">The caller could push (developers and up on a live project).</param>
public sealed record GitAuthorization(GitAccess Access, Guid ProjectId, string PathInfo, bool IsPush, bool AllowPush, string? Detail = null);

/// <summary>
/// The hosted repositories' smart HTTP endpoint: who may fetch or push (the project's roles), the
/// request handed to git http-backend, and after a receive-pack the refs compared with those before
/// it, each changed ref stored as a <c>hosted</c> push delivery processed like a webhook's (sync,
/// build, <c>fixes #N</c>). Receive-packs of one project are serialised in this process so the
/// comparison sees exactly one push.
/// </summary>
public sealed partial class HostedGitService(
    ProjectAccess access,
    HostedRepositories repositories,
    GitHttpBackend backend,
    WebhookDeliveryStore deliveries,
    WebhookWorker worker,
    ILogger<HostedGitService> logger)
{
    public const string Provider = HostedRepositoryRoot.Provider;
    public const string PushEvent = "push";

    private readonly ConcurrentDictionary<Guid, SemaphoreSlim> _pushLocks = new();

    /// <param name="repository">The route's repository segment: {project id}.git.</param>
    /// <param name="rest">What follows it: info/refs, git-upload-pack or git-receive-pack (nothing else is served).</param>
    public async Task<GitAuthorization> AuthorizeAsync(Caller caller, string repository, string rest, string method, string? service, CancellationToken cancellationToken)
    {
        var isPush = (method, rest) switch
        {
            ("GET", "info/refs") => service switch
            {
                "git-upload-pack" => false,
                "git-receive-pack" => true,
                _ => (bool?)null, // the dumb protocol: not served
            },
            ("POST", "git-upload-pack") => false,
            ("POST", "git-receive-pack") => true,
            _ => null,
        };
        if (!repository.EndsWith(".git", StringComparison.Ordinal) || !Guid.TryParseExact(repository[..^4], "D", out var projectId) || isPush is null)
        {
            return new GitAuthorization(GitAccess.NotFound, Guid.Empty, "", false, false, "Only the smart HTTP protocol of /git/{project id}.git is served.");
        }

        if (!caller.IsAuthenticated)
        {
            return new GitAuthorization(GitAccess.Unauthenticated, projectId, "", isPush.Value, false);
        }

        var read = await access.AuthorizeAsync(caller, projectId.ToString("D"), ProjectPermission.Read, cancellationToken);
        if (read.Outcome != AccessOutcome.Allowed || read.Project!.Repository is not { Provider: HostedRepositoryRoot.Provider } hosted)
        {
            return new GitAuthorization(GitAccess.NotFound, projectId, "", isPush.Value, false, "No hosted repository that you can see.");
        }

        var push = ProjectAccess.Decide(caller, read.Snapshot!, ProjectPermission.Push).Outcome == AccessOutcome.Allowed;
        if (isPush.Value && !push)
        {
            return new GitAuthorization(GitAccess.Forbidden, projectId, "", true, false,
                read.Project.IsArchived ? "The project is archived and therefore read-only." : "Pushing needs the developer role or higher.");
        }

        await repositories.EnsureCreatedAsync(projectId, hosted.DefaultBranch, cancellationToken);
        return new GitAuthorization(GitAccess.Allowed, projectId, $"/{projectId:N}.git/{rest}", isPush.Value, push);
    }

    /// <summary>Runs http-backend for an allowed request; after a receive-pack, records the push.</summary>
    public async Task ServeAsync(GitAuthorization allowed, CgiRequest request, Stream body, CgiResponseStart start, CancellationToken cancellationToken)
    {
        if (!(allowed.IsPush && request.Method == "POST"))
        {
            await backend.RunAsync(request, body, start, cancellationToken);
            return;
        }

        var gate = _pushLocks.GetOrAdd(allowed.ProjectId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            var before = await repositories.ReadRefsAsync(allowed.ProjectId, cancellationToken);
            await backend.RunAsync(request, body, start, cancellationToken);
            // The refs moved (or not) whatever happens to the client now: record what did.
            var after = await repositories.ReadRefsAsync(allowed.ProjectId, CancellationToken.None);
            await RecordAsync(allowed.ProjectId, request.RemoteUser, before, after, CancellationToken.None);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>One delivery per changed ref, as a provider would send them; the webhook worker processes them.</summary>
    internal async Task RecordAsync(Guid projectId, string pusher, IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after, CancellationToken cancellationToken)
    {
        foreach (var gitRef in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            var old = before.GetValueOrDefault(gitRef, HostedRepositories.ZeroSha);
            var current = after.GetValueOrDefault(gitRef, HostedRepositories.ZeroSha);
            if (old == current)
            {
                continue;
            }

            IReadOnlyList<HostedCommit> commits = current == HostedRepositories.ZeroSha
                ? []
                : await repositories.NewCommitsAsync(projectId, current, before.Values, cancellationToken);
            var payload = new HostedPushPayload(projectId, gitRef, old, current, pusher, commits);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(payload, HostedGitJsonContext.Default.HostedPushPayload);
            // Each push is its own delivery (a ref may move A→B, back, and to B again: three pushes).
            var stored = await deliveries.StoreAsync(Provider, Guid.CreateVersion7().ToString("N"), PushEvent,
                new Dictionary<string, string>(), bytes, null, null, projectId, cancellationToken);
            if (!stored.Duplicate)
            {
                worker.Signal(stored.Id);
            }

            LogPushed(logger, projectId, gitRef, old, current, commits.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Hosted push to project {ProjectId}: {Ref} {Before}..{After} ({Commits} commits)")]
    private static partial void LogPushed(ILogger logger, Guid projectId, string @ref, string before, string after, int commits);
}
