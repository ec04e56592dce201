using DevMentor.Core.Integrations.Statuses;

namespace DevMentor.Core.Integrations.GitLab;

/// <summary>
/// POST /projects/{id or url-encoded path}/statuses/{sha} (GitLab's commit status API) over plain
/// HttpClient: no maintained .NET client for GitLab's API restores here (GitHub has Octokit), and
/// this one call does not justify writing one.
/// </summary>
public sealed class GitLabStatusClient(IHttpClientFactory httpClients, GitLabOptions options) : ICommitStatusClient
{
    public const string HttpClientName = "gitlab";

    public string Provider => GitLabWebhookIntake.Provider;

    public async Task PostAsync(CommitStatus status, CancellationToken cancellationToken)
    {
        var state = status.State switch
        {
            CommitState.Success => "success",
            CommitState.Failure => "failed",
            CommitState.Error => "canceled",
            _ => "pending",
        };
        var query = $"state={state}&name={Uri.EscapeDataString(status.Context ?? CommitStatusContext.Name)}" +
            $"&target_url={Uri.EscapeDataString(status.TargetUrl.ToString())}&description={Uri.EscapeDataString(status.Description)}";
        using var http = httpClients.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post,
            new Uri(options.ApiBaseUrl, $"projects/{Uri.EscapeDataString(status.Repository)}/statuses/{Uri.EscapeDataString(status.Sha)}?{query}"));
        if (!string.IsNullOrEmpty(options.Token))
        {
            request.Headers.Add("PRIVATE-TOKEN", options.Token);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new CommitStatusException($"GitLab answered {(int)response.StatusCode} {response.ReasonPhrase} for {status.Repository}@{status.Sha}.");
        }
    }
}
