namespace DevMentor.Core.Deployments;

public enum DeploymentStatus
{
    /// <summary>Accepted; waits for the deployment worker.</summary>
    Pending,
    Deploying,
    /// <summary>The environment's release now (at most one per environment).</summary>
    Current,
    Failed,
    /// <summary>Was current; another release replaced it and its process was stopped.</summary>
    Superseded,
    /// <summary>Was current; after a service restart it could not be brought back.</summary>
    Stopped,
    /// <summary>A deploy stage's deployment stopped before it became current: its run was canceled, or its deploy wait timed out (ADR 0044).</summary>
    Canceled,
}

public static class DeploymentStatusNames
{
    public static string ToWire(this DeploymentStatus status) => status.ToString().ToLowerInvariant();

    public static DeploymentStatus Parse(string wire) => Enum.Parse<DeploymentStatus>(wire, ignoreCase: true);

    /// <summary>Passed its health check (or its webhook was accepted) at some point: a rollback target.</summary>
    public static bool WasHealthy(this DeploymentStatus status) => status is DeploymentStatus.Current or DeploymentStatus.Superseded or DeploymentStatus.Stopped;
}

/// <param name="Target">local or webhook.</param>
/// <param name="Trigger">manual, auto (after a green run) or rollback.</param>
/// <param name="ReleaseDirectory">Local: where the run's artifacts were restored.</param>
/// <param name="Url">Local: where the release answers; webhook: where the notice went.</param>
/// <param name="Health">What the health check (or the webhook) answered, for people.</param>
public sealed record Deployment(
    Guid Id,
    Guid ProjectId,
    string Environment,
    string Target,
    Guid RunId,
    int RunNumber,
    DeploymentStatus Status,
    string Trigger,
    Guid? RollbackOf,
    string? RequestedBy,
    string? ReleaseDirectory,
    int? Port,
    string? Url,
    int? Pid,
    bool? Healthy,
    string? Health,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt);

/// <summary>A deployment to accept: what the service and the automatic deployer hand the store.</summary>
public sealed record NewDeployment(Guid ProjectId, string Environment, string Target, Guid RunId, int RunNumber, string Trigger, Guid? RollbackOf, string? RequestedBy);

/// <summary>How a worked deployment ended.</summary>
public sealed record DeploymentResult(bool Succeeded, string? ReleaseDirectory, int? Port, string? Url, int? Pid, bool? Healthy, string? Health, string? Error)
{
    public static DeploymentResult Failed(string error, string? health = null, string? releaseDirectory = null, int? port = null) =>
        new(false, releaseDirectory, port, null, null, false, health, error);
}
