using System.Text.Json.Serialization;

namespace DevMentor.Core.Integrations.GitHub;

// The fields of GitHub's webhook payloads this service uses; everything else is ignored.

public sealed record GitHubRepository([property: JsonPropertyName("full_name")] string FullName);

public sealed record GitHubCommit(
    string Id,
    string? Message,
    GitHubAuthor? Author,
    DateTimeOffset? Timestamp,
    IReadOnlyList<string>? Added,
    IReadOnlyList<string>? Removed,
    IReadOnlyList<string>? Modified);

public sealed record GitHubAuthor(string? Name, string? Email, string? Username);

public sealed record GitHubPushEvent(
    string Ref,
    string Before,
    string After,
    bool Created,
    bool Deleted,
    IReadOnlyList<GitHubCommit>? Commits,
    GitHubRepository Repository);

public sealed record GitHubPullRequestRef(string Ref, string Sha);

public sealed record GitHubPullRequest(int Number, string? Title, GitHubPullRequestRef Head, GitHubPullRequestRef Base);

public sealed record GitHubPullRequestEvent(string Action, int Number, [property: JsonPropertyName("pull_request")] GitHubPullRequest PullRequest, GitHubRepository Repository);

public sealed record GitHubIssue(long Id, int Number, string Title, string? Body, string State, [property: JsonPropertyName("html_url")] string? HtmlUrl);

public sealed record GitHubIssuesEvent(string Action, GitHubIssue Issue, GitHubRepository Repository);

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(GitHubPushEvent))]
[JsonSerializable(typeof(GitHubPullRequestEvent))]
[JsonSerializable(typeof(GitHubIssuesEvent))]
[JsonSerializable(typeof(IReadOnlyList<GitHubCommit>))]
internal sealed partial class GitHubJsonContext : JsonSerializerContext;
