using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Templates;

namespace DevMentor.Core.Creation;

/// <summary>The steps of the creation flow, in order; each is one Durable activity, idempotent and keyed by the project.</summary>
public static class CreationSteps
{
    public const string CreateRepository = "create_repository";
    public const string InitialCommit = "initial_commit";
    public const string Dependencies = "dependencies";
    public const string ContinuousIntegration = "ci";
    public const string Index = "index";

    public static readonly IReadOnlyList<string> All = [CreateRepository, InitialCommit, Dependencies, ContinuousIntegration, Index];
}

/// <param name="State">pending, running, succeeded or failed.</param>
/// <param name="Detail">What the step did (the repository's path, the commit, the lock file, the run, the sync).</param>
public sealed record CreationStep(string Name, string State, int Attempts, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Detail, string? Error);

/// <summary>A project's creation flow as <c>GET /projects/{id}/creation</c> shows it.</summary>
/// <param name="Status">running, succeeded or failed (a failed step can be retried).</param>
/// <param name="CloneUrl">Where clients clone the hosted repository (relative to the service unless Service:PublicBaseUrl is set).</param>
public sealed record ProjectCreation(
    Guid ProjectId, string Template, string Provider, string Status, int Attempt, string? CloneUrl, Guid? FirstBuildId,
    IReadOnlyList<CreationStep> Steps, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What the flow was asked for, stored with the project.</summary>
/// <param name="ProtectBranch">GitHub and GitLab: protect the default branch, requiring the build's and the analysis' statuses.</param>
public sealed record CreationRequest(Guid ProjectId, string Template, string Provider, TemplateValues Values, bool ProtectBranch = false);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ProjectCreation))]
[JsonSerializable(typeof(TemplateValues))]
public sealed partial class CreationJsonContext : JsonSerializerContext;
