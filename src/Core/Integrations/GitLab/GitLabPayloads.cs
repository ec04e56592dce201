using System.Text.Json.Serialization;

namespace DevMentor.Core.Integrations.GitLab;

// The fields of GitLab's webhook payloads this service uses; everything else is ignored.

public sealed record GitLabProject([property: JsonPropertyName("path_with_namespace")] string PathWithNamespace);

public sealed record GitLabPushEvent(
    [property: JsonPropertyName("object_kind")] string ObjectKind,
    string Ref,
    string Before,
    string After,
    GitLabProject Project,
    [property: JsonPropertyName("total_commits_count")] int? TotalCommitsCount,
    System.Text.Json.JsonElement? Commits);

public sealed record GitLabLastCommit(string Id);

public sealed record GitLabMergeRequestAttributes(
    int Iid,
    string? Action,
    [property: JsonPropertyName("source_branch")] string SourceBranch,
    [property: JsonPropertyName("last_commit")] GitLabLastCommit LastCommit);

public sealed record GitLabMergeRequestEvent(
    [property: JsonPropertyName("object_kind")] string ObjectKind,
    GitLabProject Project,
    [property: JsonPropertyName("object_attributes")] GitLabMergeRequestAttributes ObjectAttributes);

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(GitLabPushEvent))]
[JsonSerializable(typeof(GitLabMergeRequestEvent))]
internal sealed partial class GitLabJsonContext : JsonSerializerContext;
