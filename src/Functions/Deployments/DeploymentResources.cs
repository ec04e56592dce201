using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Deployments;

namespace DevMentor.Functions.Deployments;

public sealed record DeploymentStarted(Guid DeploymentId, string Status, string Environment, Guid RunId, int RunNumber, string Trigger, Guid? RollbackOf, string StatusUri);

/// <param name="Url">Local: where the release answers; webhook: where the notice went (no query).</param>
/// <param name="Healthy">Whether the health check (or the webhook) succeeded; null while it has not run.</param>
public sealed record DeploymentResource(
    Guid DeploymentId,
    Guid ProjectId,
    string Environment,
    string Target,
    string Status,
    string Trigger,
    Guid RunId,
    int RunNumber,
    Guid? RollbackOf,
    string? Url,
    int? Port,
    bool? Healthy,
    string? Health,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string StatusUri,
    string RollbackUri,
    string RunUri);

public sealed record DeploymentList(IReadOnlyList<DeploymentResource> Items);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DeploymentStarted))]
[JsonSerializable(typeof(DeploymentResource))]
[JsonSerializable(typeof(DeploymentList))]
public sealed partial class DeploymentsJsonContext : JsonSerializerContext;

public static class DeploymentUris
{
    public static string Status(Guid projectId, Guid deploymentId) => $"/projects/{projectId}/deployments/{deploymentId}";

    public static DeploymentStarted Started(Deployment d) =>
        new(d.Id, d.Status.ToWire(), d.Environment, d.RunId, d.RunNumber, d.Trigger, d.RollbackOf, Status(d.ProjectId, d.Id));

    public static DeploymentResource Resource(Deployment d)
    {
        var status = Status(d.ProjectId, d.Id);
        return new DeploymentResource(d.Id, d.ProjectId, d.Environment, d.Target, d.Status.ToWire(), d.Trigger, d.RunId, d.RunNumber, d.RollbackOf,
            d.Url, d.Port, d.Healthy, d.Health, d.Error, d.CreatedAt, d.StartedAt, d.FinishedAt, status, status + "/rollback", $"/projects/{d.ProjectId}/builds/{d.RunId}");
    }
}
