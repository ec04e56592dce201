using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.HostedGit;

/// <summary>A push to a hosted repository as stored in its delivery (one ref).</summary>
public sealed record HostedPushPayload(Guid ProjectId, string Ref, string Before, string After, string Pusher, IReadOnlyList<HostedCommit> Commits);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(HostedPushPayload))]
[JsonSerializable(typeof(IReadOnlyList<HostedCommit>))]
public sealed partial class HostedGitJsonContext : JsonSerializerContext;
