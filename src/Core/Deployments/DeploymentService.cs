using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Deployments;

public sealed record DeployRequest(string? Environment, Guid? RunId);

public sealed record ProjectDeployment(Project Project, Deployment Deployment);

public sealed record ProjectDeployments(Project Project, IReadOnlyList<Deployment> Items);

/// <summary>
/// The user-facing deployment use cases. Maintainers deploy and roll back, viewers read
/// (<see cref="ProjectAccess"/>). A deploy is accepted into the database and worked by
/// <see cref="DeploymentWorker"/>, so the answer comes at once and a crash loses nothing.
/// </summary>
public sealed class DeploymentService(ProjectAccess access, PostgresDeploymentStore store, DeployableRuns runs, DeploymentSignal signal)
{
    public const int MaxListLimit = 100;

    public async Task<Outcome<ProjectDeployment>> DeployAsync(Caller caller, string idOrSlug, DeployRequest request, CancellationToken cancellationToken)
    {
        if (Validate(request) is { Count: > 0 } errors)
        {
            return Outcome<ProjectDeployment>.Invalid(errors);
        }

        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Deploy, cancellationToken);
        if (Denied<ProjectDeployment>(allowed, idOrSlug, "deploy") is { } denied)
        {
            return denied;
        }

        var project = allowed.Project!;
        DeployableRun? run;
        if (request.RunId is { } runId)
        {
            run = await runs.GetAsync(runId, cancellationToken);
            if (run is null || run.ProjectId != project.Id)
            {
                return Outcome<ProjectDeployment>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no build {runId}.");
            }

            if (run.Status != "succeeded")
            {
                return Outcome<ProjectDeployment>.Fail(OutcomeKind.Conflict, $"Build {run.Number} is {run.Status}; only a succeeded build can be deployed.");
            }
        }
        else
        {
            run = await runs.LatestSucceededAsync(project.Id, cancellationToken);
            if (run is null)
            {
                return Outcome<ProjectDeployment>.Fail(OutcomeKind.Conflict, "The project has no succeeded build to deploy yet.");
            }
        }

        var environment = run.Environments.FirstOrDefault(e => e.Name == request.Environment);
        if (environment is null)
        {
            var known = run.Environments.Count == 0 ? "none" : string.Join(", ", run.Environments.Select(e => e.Name));
            return Outcome<ProjectDeployment>.Fail(OutcomeKind.NotFound,
                $"Build {run.Number} declares no deploy environment '{request.Environment}' in its .devmentor.yml (declared: {known}).");
        }

        var deployment = await store.InsertAsync(
            new NewDeployment(project.Id, environment.Name, AutoDeployer.Target(environment), run.RunId, run.Number, "manual", null, caller.PartitionKey), cancellationToken);
        signal.Notify();
        return new Outcome<ProjectDeployment>(OutcomeKind.Created, new ProjectDeployment(project, deployment));
    }

    /// <summary>Deploys again the last release before <paramref name="deploymentId"/> in its environment that passed its health check.</summary>
    public async Task<Outcome<ProjectDeployment>> RollbackAsync(Caller caller, string idOrSlug, Guid deploymentId, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Deploy, cancellationToken);
        if (Denied<ProjectDeployment>(allowed, idOrSlug, "roll back deployments") is { } denied)
        {
            return denied;
        }

        var project = allowed.Project!;
        if (await store.GetAsync(project.Id, deploymentId, cancellationToken) is not { } from)
        {
            return Outcome<ProjectDeployment>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no deployment {deploymentId}.");
        }

        if (from.Status is DeploymentStatus.Pending or DeploymentStatus.Deploying)
        {
            return Outcome<ProjectDeployment>.Fail(OutcomeKind.Conflict, $"Deployment {deploymentId} is still {from.Status.ToWire()}; roll back once it has finished.");
        }

        if (await store.PreviousHealthyAsync(from, cancellationToken) is not { } target)
        {
            return Outcome<ProjectDeployment>.Fail(OutcomeKind.Conflict, $"There is no healthy release of '{from.Environment}' before deployment {deploymentId} to roll back to.");
        }

        var deployment = await store.InsertAsync(
            new NewDeployment(project.Id, target.Environment, target.Target, target.RunId, target.RunNumber, "rollback", from.Id, caller.PartitionKey), cancellationToken);
        signal.Notify();
        return new Outcome<ProjectDeployment>(OutcomeKind.Created, new ProjectDeployment(project, deployment));
    }

    public async Task<Outcome<ProjectDeployments>> ListAsync(Caller caller, string idOrSlug, string? environment, int limit, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (Denied<ProjectDeployments>(allowed, idOrSlug, "read deployments") is { } denied)
        {
            return denied;
        }

        var items = await store.ListAsync(allowed.Project!.Id, environment, Math.Clamp(limit, 1, MaxListLimit), cancellationToken);
        return Outcome<ProjectDeployments>.Ok(new ProjectDeployments(allowed.Project, items));
    }

    public async Task<Outcome<ProjectDeployment>> GetAsync(Caller caller, string idOrSlug, Guid deploymentId, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (Denied<ProjectDeployment>(allowed, idOrSlug, "read deployments") is { } denied)
        {
            return denied;
        }

        return await store.GetAsync(allowed.Project!.Id, deploymentId, cancellationToken) is { } deployment
            ? Outcome<ProjectDeployment>.Ok(new ProjectDeployment(allowed.Project, deployment))
            : Outcome<ProjectDeployment>.Fail(OutcomeKind.NotFound, $"Project '{idOrSlug}' has no deployment {deploymentId}.");
    }

    public static bool IsEnvironmentName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static Dictionary<string, string[]> Validate(DeployRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (!IsEnvironmentName(request.Environment))
        {
            errors["environment"] = ["Required: the name of a deploy environment (1-64 letters, digits, '.', '_' or '-')."];
        }

        return errors;
    }

    private static Outcome<T>? Denied<T>(ProjectAccessResult access, string idOrSlug, string action) => access.Outcome switch
    {
        AccessOutcome.Allowed => null,
        AccessOutcome.Forbidden => Outcome<T>.Fail(OutcomeKind.Forbidden, $"Your role on this project ({access.Role?.ToName()}) may not {action}; maintainers and owners may."),
        AccessOutcome.Archived => Outcome<T>.Fail(OutcomeKind.Conflict, "The project is archived and read-only."),
        _ => Outcome<T>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'."),
    };
}
