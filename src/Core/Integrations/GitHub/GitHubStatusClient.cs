using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Integrations.Statuses;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>
/// POST /repos/{owner}/{repo}/statuses/{sha} over plain HttpClient (Octokit does not restore
/// here). The base URL is configurable so tests talk to a local fake.
/// </summary>
public sealed partial class GitHubStatusClient(IHttpClientFactory httpClients, GitHubOptions options, GitHubAppTokens appTokens) : ICommitStatusClient
{
    public const string HttpClientName = "github";

    public string Provider => GitHubWebhookIntake.Provider;

    public async Task PostAsync(CommitStatus status, CancellationToken cancellationToken)
    {
        using var http = httpClients.CreateClient(HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.ApiBaseUrl, $"repos/{status.Repository}/statuses/{Uri.EscapeDataString(status.Sha)}"))
        {
            Content = JsonContent.Create(new GitHubStatusRequest(
                status.State switch
                {
                    CommitState.Success => "success",
                    CommitState.Failure => "failure",
                    CommitState.Error => "error",
                    _ => "pending",
                },
                status.TargetUrl.ToString(),
                status.Description,
                CommitStatusContext.Name), GitHubApiJsonContext.Default.GitHubStatusRequest),
        };
        await AuthorizeAsync(request, options, appTokens, cancellationToken);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new CommitStatusException($"GitHub answered {(int)response.StatusCode} {response.ReasonPhrase} for {status.Repository}@{status.Sha}.");
        }
    }
}

public sealed partial class GitHubStatusClient
{
    /// <summary>GitHub's API headers and the service's credentials: a token when set, else the GitHub App's installation token.</summary>
    public static async Task AuthorizeAsync(HttpRequestMessage request, GitHubOptions options, GitHubAppTokens appTokens, CancellationToken cancellationToken)
    {
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        request.Headers.Add("X-GitHub-Api-Version", "2022-11-28");
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("DevMentor-Project-Service", "1.0"));
        if (!string.IsNullOrEmpty(options.Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        }
        else if (options.App is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await appTokens.GetInstallationTokenAsync(cancellationToken));
        }
    }
}

public sealed record GitHubStatusRequest(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("target_url")] string TargetUrl,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("context")] string Context);

[JsonSerializable(typeof(GitHubStatusRequest))]
internal sealed partial class GitHubApiJsonContext : JsonSerializerContext;
