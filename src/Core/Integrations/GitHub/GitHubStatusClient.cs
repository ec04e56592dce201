using DevMentor.Core.Integrations.Statuses;
using NewCommitStatus = Octokit.NewCommitStatus;
using OctokitState = Octokit.CommitState;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>POST /repos/{owner}/{repo}/statuses/{sha} through Octokit (<see cref="GitHubApi"/>).</summary>
public sealed class GitHubStatusClient(GitHubApi github) : ICommitStatusClient
{
    public string Provider => GitHubWebhookIntake.Provider;

    public async Task PostAsync(CommitStatus status, CancellationToken cancellationToken)
    {
        var slash = status.Repository.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == status.Repository.Length - 1)
        {
            throw new CommitStatusException($"'{status.Repository}' is not a GitHub owner/name.");
        }

        var newStatus = new NewCommitStatus
        {
            State = status.State switch
            {
                Statuses.CommitState.Success => OctokitState.Success,
                Statuses.CommitState.Failure => OctokitState.Failure,
                Statuses.CommitState.Error => OctokitState.Error,
                _ => OctokitState.Pending,
            },
            TargetUrl = status.TargetUrl.ToString(),
            Description = status.Description,
            Context = status.Context ?? CommitStatusContext.Name,
        };
        try
        {
            await GitHubApi.CallAsync(c => c.Repository.Status.Create(status.Repository[..slash], status.Repository[(slash + 1)..], status.Sha, newStatus),
                github.Client, $"for the status of {status.Repository}@{status.Sha}", cancellationToken);
        }
        catch (GitHubApiException e)
        {
            throw new CommitStatusException(e.Message);
        }
    }
}
