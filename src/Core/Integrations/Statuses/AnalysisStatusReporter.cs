using DevMentor.Core.Code.Sync;
using DevMentor.Core.Projects;

namespace DevMentor.Core.Integrations.Statuses;

/// <summary>
/// Posts <c>devmentor/analysis</c> with the sync's one-line summary through the same clients as the
/// build status. Called from the sync's status stage, whose retries (the sync worker's) stand in
/// for the build reporter's backoff.
/// </summary>
public sealed class AnalysisStatusReporter(ProjectReader projects, IEnumerable<ICommitStatusClient> clients, RunLinks links) : IAnalysisStatusReporter
{
    // GitHub refuses descriptions over 140 characters.
    private const int MaxDescription = 140;

    public async Task<bool> ReportAsync(Guid projectId, string commitSha, bool success, string description, CancellationToken cancellationToken)
    {
        var repository = (await projects.GetAsync(projectId.ToString(), cancellationToken))?.Project.Repository;
        if (repository is not { FullName: { } fullName } || clients.FirstOrDefault(c => c.Provider == repository.Provider) is not { } client)
        {
            return false;
        }

        var text = description.Length > MaxDescription ? description[..(MaxDescription - 1)] + "…" : description;
        var target = new Uri(links.PublicBaseUrl, $"projects/{projectId}/analysis?ref={commitSha}");
        await client.PostAsync(new CommitStatus(fullName, commitSha, success ? CommitState.Success : CommitState.Failure, text, target, CommitStatusContext.Analysis), cancellationToken);
        return true;
    }
}
