using System.Net;
using Octokit;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>A GitHub API call that failed; <see cref="StatusCode"/> is null when GitHub was not reached at all. The message never holds a secret.</summary>
public sealed class GitHubApiException(int? statusCode, string message) : Exception(message)
{
    public int? StatusCode { get; } = statusCode;
}

/// <summary>
/// The service's Octokit client: every call the service makes to GitHub goes through it (commit
/// statuses, repositories, webhooks; the GitHub App's token exchange uses a client made the same
/// way). The base URL follows Octokit's rule: api.github.com (or github.com) is GitHub itself, any
/// other address a GitHub Enterprise Server whose REST API Octokit reaches under <c>/api/v3/</c>, so
/// GitHub:ApiBaseUrl may name the server (https://ghe.example.com) or its API root. Credentials:
/// GitHub:Token when set, else the GitHub App's installation token, else none.
/// Octokit's calls take no CancellationToken: each request is bounded by <see cref="RequestTimeout"/>,
/// and a caller that cancels stops waiting at once (<see cref="CallAsync"/>).
/// </summary>
public sealed class GitHubApi(GitHubOptions options, GitHubAppTokens appTokens)
{
    /// <summary>Short: commit statuses are retried by their reporter, and a remote's creation is resumable.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private static readonly ProductHeaderValue Product = new("DevMentor-Project-Service", "1.0");

    public IGitHubClient Client { get; } = Create(options.ApiBaseUrl, new ServiceCredentials(options, appTokens));

    public bool HasCredentials => !string.IsNullOrEmpty(options.Token) || options.App is not null;

    /// <summary>The REST API root Octokit calls for the configured base URL (see the class summary).</summary>
    public Uri ApiRoot => Client.Connection.BaseAddress;

    internal static GitHubClient Create(Uri baseUrl, ICredentialStore credentials)
    {
        var client = new GitHubClient(Product, credentials, baseUrl);
        client.SetRequestTimeout(RequestTimeout);
        return client;
    }

    /// <summary>
    /// One Octokit call, its failures turned into a <see cref="GitHubApiException"/> that says what
    /// was being done and how GitHub answered (GitHub's own explanation included, never a credential).
    /// </summary>
    /// <param name="what">"creating repository o/r": completes "GitHub answered 422 (refused) …".</param>
    public static async Task<T> CallAsync<T>(Func<IGitHubClient, Task<T>> call, IGitHubClient client, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await call(client).WaitAsync(cancellationToken);
        }
        catch (ApiException e)
        {
            var status = (int)e.StatusCode;
            throw new GitHubApiException(status == 0 ? null : status, $"GitHub answered {status} {Explain(e.StatusCode)} {what}{GitHubMessage(e)}.");
        }
        catch (HttpRequestException e)
        {
            throw new GitHubApiException(null, $"GitHub could not be reached {what}: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GitHubApiException(null, $"GitHub did not answer in time {what}.");
        }
    }

    private static string Explain(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "(the service's GitHub credentials were rejected: check GitHub:Token or the GitHub App)",
        HttpStatusCode.Forbidden => "(the credentials may not do this, or a rate limit was hit)",
        HttpStatusCode.NotFound => "(no such owner or repository, or the credentials cannot see it)",
        HttpStatusCode.UnprocessableEntity => "(refused)",
        _ when (int)status >= 500 => "(GitHub is having trouble)",
        _ => "",
    };

    /// <summary>GitHub's own explanation ("name already exists on this account"), shortened.</summary>
    private static string GitHubMessage(ApiException e)
    {
        var messages = new List<string>();
        if (!string.IsNullOrWhiteSpace(e.ApiError?.Message))
        {
            messages.Add(e.ApiError.Message);
        }

        messages.AddRange(e.ApiError?.Errors?.Select(d => d.Message).Where(m => !string.IsNullOrWhiteSpace(m)) ?? []);
        var text = string.Join("; ", messages);
        return text.Length == 0 ? "" : ": " + (text.Length > 300 ? text[..300] + "…" : text);
    }

    /// <summary>Asked by Octokit before every request, so an App's token is renewed as it nears expiry.</summary>
    private sealed class ServiceCredentials(GitHubOptions options, GitHubAppTokens appTokens) : ICredentialStore
    {
        public async Task<Credentials> GetCredentials() =>
            !string.IsNullOrEmpty(options.Token) ? new Credentials(options.Token, AuthenticationType.Bearer)
            : options.App is not null ? new Credentials(await appTokens.GetInstallationTokenAsync(CancellationToken.None), AuthenticationType.Bearer)
            : Credentials.Anonymous;
    }
}
