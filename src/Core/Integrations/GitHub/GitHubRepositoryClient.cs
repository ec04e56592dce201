using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Integrations.GitHub;

/// <summary>A GitHub API call that failed; <see cref="StatusCode"/> is null when GitHub was not reached at all. The message never holds a secret.</summary>
public sealed class GitHubApiException(int? statusCode, string message) : Exception(message)
{
    public int? StatusCode { get; } = statusCode;
}

/// <summary>
/// Creates repositories and their webhooks over GitHub's REST API (the same HttpClient, base URL
/// and credentials as commit statuses). Where a repository goes: with a token, under the token's
/// own user when the owner is that user (POST /user/repos), otherwise under the owner as an
/// organisation (POST /orgs/{owner}/repos, which needs the token to be allowed there); as a GitHub
/// App always the organisation, since installation tokens act for no user.
/// </summary>
public sealed class GitHubRepositoryClient(IHttpClientFactory httpClients, GitHubOptions options, GitHubAppTokens appTokens)
{
    public static readonly IReadOnlyList<string> HookEvents = ["push", "pull_request", "issues"];

    public bool HasCredentials => !string.IsNullOrEmpty(options.Token) || options.App is not null;

    /// <returns>The repository's html_url.</returns>
    public async Task<string> CreateRepositoryAsync(string owner, string name, string description, bool isPrivate, CancellationToken cancellationToken)
    {
        var path = await IsTokenUserAsync(owner, cancellationToken) ? "user/repos" : $"orgs/{Uri.EscapeDataString(owner)}/repos";
        var created = await SendAsync(HttpMethod.Post, path,
            JsonContent.Create(new GitHubCreateRepository(name, description, isPrivate, HasIssues: true, AutoInit: false), GitHubRepositoryJsonContext.Default.GitHubCreateRepository),
            GitHubRepositoryJsonContext.Default.GitHubRepositoryCreated, $"creating repository {owner}/{name}", cancellationToken);
        return created.HtmlUrl ?? $"https://github.com/{owner}/{name}";
    }

    /// <returns>The hook's id.</returns>
    public async Task<long> CreateHookAsync(string fullName, Uri url, string secret, CancellationToken cancellationToken)
    {
        var hook = await SendAsync(HttpMethod.Post, $"repos/{fullName}/hooks",
            JsonContent.Create(new GitHubCreateHook("web", Active: true, HookEvents, new GitHubHookConfig(url.ToString(), "json", secret, "0")), GitHubRepositoryJsonContext.Default.GitHubCreateHook),
            GitHubRepositoryJsonContext.Default.GitHubHookCreated, $"creating the webhook of {fullName}", cancellationToken);
        return hook.Id;
    }

    /// <summary>Gives an existing hook a new secret (PATCH /repos/{owner}/{repo}/hooks/{id}), keeping its events.</summary>
    public async Task UpdateHookSecretAsync(string fullName, long hookId, Uri url, string secret, CancellationToken cancellationToken) =>
        await SendAsync(new HttpMethod("PATCH"), $"repos/{fullName}/hooks/{hookId}",
            JsonContent.Create(new GitHubUpdateHook(new GitHubHookConfig(url.ToString(), "json", secret, "0")), GitHubRepositoryJsonContext.Default.GitHubUpdateHook),
            GitHubRepositoryJsonContext.Default.GitHubHookCreated, $"giving the webhook of {fullName} its new secret", cancellationToken);

    private async Task<bool> IsTokenUserAsync(string owner, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(options.Token))
        {
            return false;
        }

        var user = await SendAsync(HttpMethod.Get, "user", null, GitHubRepositoryJsonContext.Default.GitHubUser, "reading the token's user", cancellationToken);
        return string.Equals(user.Login, owner, StringComparison.OrdinalIgnoreCase);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> answer, string what, CancellationToken cancellationToken)
    {
        using var http = httpClients.CreateClient(GitHubStatusClient.HttpClientName);
        using var request = new HttpRequestMessage(method, new Uri(options.ApiBaseUrl, path)) { Content = content };
        try
        {
            await GitHubStatusClient.AuthorizeAsync(request, options, appTokens, cancellationToken);
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new GitHubApiException((int)response.StatusCode, $"GitHub answered {(int)response.StatusCode} {Explain(response.StatusCode)} {what}{GitHubMessage(body)}.");
            }

            return JsonSerializer.Deserialize(body, answer) ?? throw new GitHubApiException((int)response.StatusCode, $"GitHub answered an empty body {what}.");
        }
        catch (HttpRequestException e)
        {
            throw new GitHubApiException(null, $"GitHub could not be reached {what}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new GitHubApiException(null, $"GitHub did not answer in time {what}.");
        }
        catch (JsonException)
        {
            throw new GitHubApiException(null, $"GitHub's answer {what} was not the JSON expected.");
        }
        catch (Statuses.CommitStatusException e)
        {
            // The GitHub App's installation token could not be had.
            throw new GitHubApiException(401, e.Message);
        }
    }

    private static string Explain(HttpStatusCode status) => status switch
    {
        HttpStatusCode.Unauthorized => "(the service's GitHub credentials were rejected: check GitHub:Token or the GitHub App)",
        HttpStatusCode.Forbidden => "(the credentials may not do this)",
        HttpStatusCode.NotFound => "(no such owner or repository, or the credentials cannot see it)",
        HttpStatusCode.UnprocessableEntity => "(refused)",
        _ when (int)status >= 500 => "(GitHub is having trouble)",
        _ => "",
    };

    /// <summary>GitHub's own explanation ("name already exists on this account"), shortened.</summary>
    private static string GitHubMessage(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var messages = new List<string>();
            if (document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String)
            {
                messages.Add(message.GetString()!);
            }

            if (document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                messages.AddRange(errors.EnumerateArray()
                    .Select(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null)
                    .OfType<string>());
            }

            var text = string.Join("; ", messages);
            return text.Length == 0 ? "" : ": " + (text.Length > 300 ? text[..300] + "…" : text);
        }
        catch (JsonException)
        {
            return "";
        }
    }
}

public sealed record GitHubCreateRepository(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("private")] bool Private,
    [property: JsonPropertyName("has_issues")] bool HasIssues,
    [property: JsonPropertyName("auto_init")] bool AutoInit);

public sealed record GitHubRepositoryCreated([property: JsonPropertyName("html_url")] string? HtmlUrl);

public sealed record GitHubHookConfig(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("content_type")] string ContentType,
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("insecure_ssl")] string InsecureSsl);

public sealed record GitHubCreateHook(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("active")] bool Active,
    [property: JsonPropertyName("events")] IReadOnlyList<string> Events,
    [property: JsonPropertyName("config")] GitHubHookConfig Config);

public sealed record GitHubUpdateHook([property: JsonPropertyName("config")] GitHubHookConfig Config);

public sealed record GitHubHookCreated([property: JsonPropertyName("id")] long Id);

public sealed record GitHubUser([property: JsonPropertyName("login")] string? Login);

[JsonSerializable(typeof(GitHubCreateRepository))]
[JsonSerializable(typeof(GitHubRepositoryCreated))]
[JsonSerializable(typeof(GitHubCreateHook))]
[JsonSerializable(typeof(GitHubHookCreated))]
[JsonSerializable(typeof(GitHubUpdateHook))]
[JsonSerializable(typeof(GitHubUser))]
internal sealed partial class GitHubRepositoryJsonContext : JsonSerializerContext;
