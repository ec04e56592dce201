using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Tasks;

namespace DevMentor.Core.Integrations.GitLab;

/// <summary>
/// A task's GitLab issue over GitLab's REST API (POST/PUT /projects/{path}/issues): plain HttpClient,
/// as for commit statuses (no maintained .NET GitLab client restores here).
/// </summary>
public sealed class GitLabIssueTracker(IHttpClientFactory httpClients, GitLabOptions options) : IIssueTracker
{
    public string Provider => GitLabWebhookIntake.Provider;

    public Task<ExternalIssue> CreateAsync(string repository, TaskFields fields, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"projects/{Uri.EscapeDataString(repository)}/issues", repository, fields, isNew: true, cancellationToken);

    public Task<ExternalIssue> UpdateAsync(string repository, int issueNumber, TaskFields fields, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, $"projects/{Uri.EscapeDataString(repository)}/issues/{issueNumber.ToString(CultureInfo.InvariantCulture)}", repository, fields, isNew: false, cancellationToken);

    private async Task<ExternalIssue> SendAsync(HttpMethod method, string path, string repository, TaskFields fields, bool isNew, CancellationToken cancellationToken)
    {
        var body = new GitLabIssueWrite(fields.Title, fields.Body ?? "", string.Join(',', fields.Labels),
            isNew && !TaskStates.IsFinished(fields.State) ? null : TaskStates.IsFinished(fields.State) ? "close" : "reopen");
        using var http = httpClients.CreateClient(GitLabStatusClient.HttpClientName);
        using var request = new HttpRequestMessage(method, new Uri(options.ApiBaseUrl, path))
        {
            Content = JsonContent.Create(body, GitLabIssueJsonContext.Default.GitLabIssueWrite),
        };
        if (!string.IsNullOrEmpty(options.Token))
        {
            request.Headers.Add("PRIVATE-TOKEN", options.Token);
        }

        var what = isNew ? $"opening an issue in {repository}" : $"updating an issue of {repository}";
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new IssueTrackerException($"GitLab answered {(int)response.StatusCode} {response.ReasonPhrase} {what}.");
            }

            var issue = await response.Content.ReadFromJsonAsync(GitLabIssueJsonContext.Default.GitLabIssueRead, cancellationToken);
            return issue is { Id: { } id, Iid: { } iid }
                ? new ExternalIssue(id.ToString(CultureInfo.InvariantCulture), (int)iid, issue.Title ?? fields.Title, issue.Description, issue.State == "closed",
                    issue.Labels ?? [], issue.WebUrl, issue.UpdatedAt ?? DateTimeOffset.UtcNow)
                : throw new IssueTrackerException($"GitLab's answer {what} holds no issue id and iid.");
        }
        catch (HttpRequestException e)
        {
            throw new IssueTrackerException($"GitLab could not be reached {what}: {e.Message}", e);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new IssueTrackerException($"GitLab's answer {what} is not an issue: {e.Message}", e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IssueTrackerException($"GitLab did not answer in time {what}.", e);
        }
    }
}

public sealed record GitLabIssueWrite(
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("labels")] string Labels,
    [property: JsonPropertyName("state_event"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? StateEvent);

public sealed record GitLabIssueRead(
    [property: JsonPropertyName("id")] long? Id,
    [property: JsonPropertyName("iid")] long? Iid,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("labels")] List<string>? Labels,
    [property: JsonPropertyName("web_url")] string? WebUrl,
    [property: JsonPropertyName("updated_at")] DateTimeOffset? UpdatedAt);

[JsonSerializable(typeof(GitLabIssueWrite))]
[JsonSerializable(typeof(GitLabIssueRead))]
internal sealed partial class GitLabIssueJsonContext : JsonSerializerContext;
