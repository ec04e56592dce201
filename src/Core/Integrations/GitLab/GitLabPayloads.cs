using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Integrations.GitLab;

// The fields of GitLab's webhook payloads this service uses; everything else is ignored. There is
// no maintained .NET library of GitLab's webhook types that restores here, so these few records
// stand in for one. Every field is nullable on purpose: presence and shape are checked after
// parsing (GitLabEventHandler), so a payload lacking one gets a reason naming GitLab's field.

public sealed record GitLabProject([property: JsonPropertyName("path_with_namespace")] string? PathWithNamespace);

public sealed record GitLabPushEvent(
    [property: JsonPropertyName("object_kind")] string? ObjectKind,
    [property: JsonPropertyName("ref")] string? Ref,
    [property: JsonPropertyName("before")] string? Before,
    [property: JsonPropertyName("after")] string? After,
    [property: JsonPropertyName("project")] GitLabProject? Project,
    [property: JsonPropertyName("total_commits_count")] int? TotalCommitsCount,
    [property: JsonPropertyName("commits")] JsonElement? Commits);

public sealed record GitLabLastCommit([property: JsonPropertyName("id")] string? Id);

public sealed record GitLabMergeRequestAttributes(
    [property: JsonPropertyName("iid")] long Iid,
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("source_branch")] string? SourceBranch,
    [property: JsonPropertyName("last_commit")] GitLabLastCommit? LastCommit);

public sealed record GitLabMergeRequestEvent(
    [property: JsonPropertyName("object_kind")] string? ObjectKind,
    [property: JsonPropertyName("project")] GitLabProject? Project,
    [property: JsonPropertyName("object_attributes")] GitLabMergeRequestAttributes? ObjectAttributes);

public sealed record GitLabIssueAttributes(
    [property: JsonPropertyName("id")] long? Id,
    [property: JsonPropertyName("iid")] long? Iid,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("action")] string? Action,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("updated_at")] string? UpdatedAt);

public sealed record GitLabLabel([property: JsonPropertyName("title")] string? Title);

public sealed record GitLabIssueEvent(
    [property: JsonPropertyName("object_kind")] string? ObjectKind,
    [property: JsonPropertyName("project")] GitLabProject? Project,
    [property: JsonPropertyName("object_attributes")] GitLabIssueAttributes? ObjectAttributes,
    [property: JsonPropertyName("labels")] List<GitLabLabel>? Labels);

[JsonSerializable(typeof(GitLabIssueEvent))]
[JsonSerializable(typeof(GitLabPushEvent))]
[JsonSerializable(typeof(GitLabMergeRequestEvent))]
internal sealed partial class GitLabJsonContext : JsonSerializerContext;
