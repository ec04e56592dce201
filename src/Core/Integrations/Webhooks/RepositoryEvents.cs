using System.Text.Json;
using DevMentor.Core.Code;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Integrations.Statuses;
using DevMentor.Core.Tasks;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>A push as every provider describes it.</summary>
/// <param name="CommitsJson">The provider's commit list (ids, messages, authors, changed files) as JSON, recorded as-is.</param>
public sealed record RepositoryPush(string Provider, string FullName, string Ref, string Before, string After, bool Deleted, int CommitCount, string CommitsJson);

/// <summary>A pull request (GitHub) or merge request (GitLab) whose head changed.</summary>
public sealed record ChangeRequest(string Provider, string FullName, int Number, string HeadRef, string HeadSha, string Label);

/// <summary>
/// What pushes and change requests do, whichever provider they came from: commits are recorded for
/// every project tracking the repository, and each project that builds the ref gets one run.
/// Runs carry an idempotency key derived from the delivery, so re-processing starts nothing new.
/// </summary>
public sealed class RepositoryEvents(IRepositoryProjects projects, IWebhookBuildStarter buildStarter, RepositoryPushStore pushes, CommitStatusStore statuses, CodeSyncService syncs, TaskSyncService tasks)
{
    public async Task<WebhookOutcome> PushAsync(WebhookDelivery delivery, RepositoryPush push, CancellationToken cancellationToken)
    {
        var linked = (await projects.FindAsync(push.Provider, push.FullName, cancellationToken)).VisibleTo(delivery);
        if (linked.Count == 0)
        {
            return WebhookOutcome.Ignored($"no project tracks {push.FullName}");
        }

        if (push.Deleted || IsZeroSha(push.After))
        {
            foreach (var project in linked)
            {
                await syncs.RefDeletedAsync(project.ProjectId, push.Ref, cancellationToken);
            }

            return WebhookOutcome.Ignored($"{push.Ref} was deleted");
        }

        var isTag = push.Ref.StartsWith("refs/tags/", StringComparison.Ordinal);
        var name = isTag ? push.Ref["refs/tags/".Length..]
            : push.Ref.StartsWith("refs/heads/", StringComparison.Ordinal) ? push.Ref["refs/heads/".Length..]
            : push.Ref;
        var started = new List<string>();
        foreach (var project in linked)
        {
            await pushes.RecordAsync(delivery.Id, project.ProjectId, push.Ref, push.Before, push.After, push.CommitsJson, cancellationToken);
            var builds = isTag ? project.BuildTags.Any(pattern => DevMentor.Core.Builds.BranchGlob.IsMatch(pattern, name)) : BuildsBranch(project, name);
            if (!isTag)
            {
                // "fixes #12" in a commit message closes task 12 (idempotent: a commit is linked once).
                await tasks.LinkCommitsAsync(project.ProjectId, push.Provider, push.FullName, Commits(push.CommitsJson), cancellationToken);
            }

            // The sync (fetch, index, dependencies, analyse, then the build stage, then the analysis
            // status) runs in the background; the build also starts now, as before, and the sync's
            // build stage finds the same run by its idempotency key.
            await syncs.EnqueueAsync(new SyncRequest(project.ProjectId, push.After, push.Ref, push.Before, delivery.Id, "push",
                builds ? new SyncBuild(name, isTag ? "tag" : "push", IdempotencyKey(delivery, project)) : null), cancellationToken);
            if (builds)
            {
                var runId = await buildStarter.StartAsync(
                    new WebhookBuildRequest(project.ProjectId, name, push.After, isTag ? "tag" : "push", null, IdempotencyKey(delivery, project)),
                    cancellationToken);
                if (push.Provider != HostedProvider)
                {
                    // A hosted repository's statuses are the service's own runs: there is no host to report them to.
                    await statuses.TrackAsync(runId, project.ProjectId, push.Provider, push.FullName, push.After, cancellationToken);
                }

                started.Add($"{project.ProjectId}:{runId}");
            }
        }

        return started.Count > 0
            ? WebhookOutcome.Processed($"push to {push.Ref} ({push.CommitCount} commits) started runs {string.Join(", ", started)}")
            : WebhookOutcome.Ignored($"push to {push.Ref} recorded; no project builds {(isTag ? "tags" : "that branch")}");
    }

    public async Task<WebhookOutcome> ChangeRequestAsync(WebhookDelivery delivery, ChangeRequest change, CancellationToken cancellationToken)
    {
        var linked = (await projects.FindAsync(change.Provider, change.FullName, cancellationToken)).VisibleTo(delivery);
        if (linked.Count == 0)
        {
            return WebhookOutcome.Ignored($"no project tracks {change.FullName}");
        }

        var started = new List<string>();
        foreach (var project in linked)
        {
            var runId = await buildStarter.StartAsync(
                new WebhookBuildRequest(project.ProjectId, change.HeadRef, change.HeadSha, change.Provider == "gitlab" ? "merge_request" : "pull_request", change.Label, IdempotencyKey(delivery, project)),
                cancellationToken);
            await statuses.TrackAsync(runId, project.ProjectId, change.Provider, change.FullName, change.HeadSha, cancellationToken);
            started.Add($"{project.ProjectId}:{runId}");
        }

        return WebhookOutcome.Processed($"{change.Label} started runs {string.Join(", ", started)}");
    }

    /// <summary>Pushes to the service's own repositories (Projects.HostedRepositoryRoot.Provider).</summary>
    public const string HostedProvider = DevMentor.Core.Projects.HostedRepositoryRoot.Provider;

    private static string IdempotencyKey(WebhookDelivery delivery, LinkedProject project) => $"{delivery.Provider}:{delivery.DeliveryId}:{project.ProjectId}";

    private static bool BuildsBranch(LinkedProject project, string branch) =>
        project.BuildBranches.Count == 0 ? branch == project.DefaultBranch : project.BuildBranches.Any(pattern => DevMentor.Core.Builds.BranchGlob.IsMatch(pattern, branch));

    private static bool IsZeroSha(string sha) => sha.Length > 0 && sha.All(c => c == '0');

    /// <summary>The commits' ids, messages and links; GitHub and GitLab both call them id, message and url.</summary>
    internal static IReadOnlyList<TaskCommit> Commits(string commitsJson)
    {
        var commits = new List<TaskCommit>();
        try
        {
            using var document = JsonDocument.Parse(commitsJson);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return commits;
            }

            foreach (var commit in document.RootElement.EnumerateArray())
            {
                if (commit.ValueKind == JsonValueKind.Object &&
                    commit.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String &&
                    commit.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
                {
                    var url = commit.TryGetProperty("url", out var link) && link.ValueKind == JsonValueKind.String ? link.GetString() : null;
                    commits.Add(new TaskCommit(id.GetString()!, url, message.GetString()!));
                }
            }
        }
        catch (JsonException)
        {
            // Recorded as sent; a list that is not JSON links nothing.
        }

        return commits;
    }
}
