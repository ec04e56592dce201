using DevMentor.Core.Code.Edits;
using DevMentor.Core.Projects;
using Octokit;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// Commits file writes of GitHub projects through GitHub's contents API with Octokit
/// (PUT/DELETE /repos/{owner}/{repo}/contents/{path} with the blob sha, the message and the branch;
/// content in base64). GitHub checks the sha: a stale one is refused (409, or 422 when a file
/// exists but no sha was sent), and the current sha is then read back for the client's retry.
/// The commit reaches the service like any push, through GitHub's push delivery.
/// </summary>
public sealed class GitHubContentsClient(GitHubApi github) : IHostedFileCommitter
{
    public bool Handles(ProjectRepository repository) => repository.Provider == GitHubWebhookIntake.Provider && repository.FullName is not null;

    public async Task<HostedCommit> CommitAsync(
        ProjectRepository repository, string branch, string path, byte[]? content, string? expectedSha, string message, CancellationToken cancellationToken)
    {
        var fullName = repository.FullName!;
        var slash = fullName.IndexOf('/', StringComparison.Ordinal);
        var (owner, name) = (fullName[..slash], fullName[(slash + 1)..]);
        var what = $"{(content is null ? "deleting" : "writing")} {path} on {fullName}@{branch}";
        try
        {
            if (content is null)
            {
                await GitHubApi.CallAsync(async c =>
                {
                    await c.Repository.Content.DeleteFile(owner, name, path, new DeleteFileRequest(message, expectedSha, branch));
                    return true;
                }, github.Client, what, cancellationToken);
                return new HostedCommit(HostedCommitStatus.Committed, null, null, null);
            }

            var base64 = Convert.ToBase64String(content);
            var changes = await GitHubApi.CallAsync(
                c => expectedSha is null
                    ? c.Repository.Content.CreateFile(owner, name, path, new CreateFileRequest(message, base64, branch, convertContentToBase64: false))
                    : c.Repository.Content.UpdateFile(owner, name, path, new UpdateFileRequest(message, base64, expectedSha, branch, convertContentToBase64: false)),
                github.Client, what, cancellationToken);
            return new HostedCommit(HostedCommitStatus.Committed, changes.Commit?.Sha, changes.Content?.Sha, null);
        }
        catch (GitHubApiException e) when (e.StatusCode is 409 or 422)
        {
            return new HostedCommit(HostedCommitStatus.Stale, null, null, await CurrentShaAsync(owner, name, path, branch, cancellationToken));
        }
        catch (GitHubApiException e)
        {
            throw new HostedCommitException(e.Message, notFound: e.StatusCode == 404);
        }
    }

    /// <summary>The file's blob sha on the branch now; null when it is not there (or cannot be read).</summary>
    private async Task<string?> CurrentShaAsync(string owner, string name, string path, string branch, CancellationToken cancellationToken)
    {
        try
        {
            var contents = await GitHubApi.CallAsync(c => c.Repository.Content.GetAllContentsByRef(owner, name, path, branch), github.Client,
                $"reading {path} on {owner}/{name}@{branch}", cancellationToken);
            return contents.Count == 1 && contents[0].Type.StringValue == "file" ? contents[0].Sha : null;
        }
        catch (GitHubApiException)
        {
            return null;
        }
    }
}
