using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Deployments;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Deployments;

/// <summary>
/// Deploy a build to an environment (202 + status URL; the worker does it), list the history,
/// read one, roll back. Maintainers deploy and roll back; viewers read.
/// </summary>
[Tags("Deployments")]
public sealed class DeploymentFunctions(DeploymentService deployments)
{
    [Function("DeployProject")]
    public async Task<IResult> DeployAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/deploy")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var (json, problem) = await JsonRequest.ReadAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        if (json!.Node is not JsonObject body)
        {
            return JsonRequest.BadRequest("The body must be a JSON object {\"environment\": \"staging\", \"runId\": \"…\"}.");
        }

        var errors = new Dictionary<string, string[]>();
        foreach (var unknown in body.Select(p => p.Key).Where(k => k is not ("environment" or "runId")))
        {
            errors[unknown] = ["Unknown field: the body takes environment and runId."];
        }

        string? environment = null;
        if (body["environment"] is JsonValue e && e.TryGetValue<string>(out var name))
        {
            environment = name;
        }
        else if (body.ContainsKey("environment"))
        {
            errors["environment"] = ["A string: the name of a deploy environment."];
        }

        Guid? runId = null;
        if (body["runId"] is JsonValue r && r.TryGetValue<string>(out var rawRun) && Guid.TryParse(rawRun, out var parsed))
        {
            runId = parsed;
        }
        else if (body["runId"] is not null)
        {
            errors["runId"] = ["A build's runId (a UUID), or leave it out to deploy the latest succeeded build."];
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await deployments.DeployAsync(Caller.From(context.User), id, new DeployRequest(environment, runId), cancellationToken);
        return Accepted(outcome);
    }

    [Function("RollbackDeployment")]
    public async Task<IResult> RollbackAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/deployments/{deploymentId:guid}/rollback")] HttpRequest request, string id, Guid deploymentId, CancellationToken cancellationToken) =>
        Accepted(await deployments.RollbackAsync(Caller.From(request.HttpContext.User), id, deploymentId, cancellationToken));

    [Function("ListDeployments")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/deployments")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var limit = 50;
        if (query["limit"].ToString() is { Length: > 0 } rawLimit &&
            (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > DeploymentService.MaxListLimit))
        {
            errors["limit"] = [$"A whole number from 1 to {DeploymentService.MaxListLimit}."];
        }

        var environment = query["environment"].ToString() is { Length: > 0 } rawEnvironment ? rawEnvironment : null;
        if (environment is not null && !DeploymentService.IsEnvironmentName(environment))
        {
            errors["environment"] = ["1-64 letters, digits, '.', '_' or '-'."];
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await deployments.ListAsync(Caller.From(context.User), id, environment, limit, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(new DeploymentList(outcome.Value!.Items.Select(DeploymentUris.Resource).ToList()), DeploymentsJsonContext.Default.DeploymentList)
            : OutcomeResults.Problem(outcome);
    }

    [Function("GetDeployment")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/deployments/{deploymentId:guid}")] HttpRequest request, string id, Guid deploymentId, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var outcome = await deployments.GetAsync(Caller.From(context.User), id, deploymentId, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(DeploymentUris.Resource(outcome.Value!.Deployment), DeploymentsJsonContext.Default.DeploymentResource)
            : OutcomeResults.Problem(outcome);
    }

    private static IResult Accepted(Outcome<ProjectDeployment> outcome)
    {
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var started = DeploymentUris.Started(outcome.Value!.Deployment);
        return TypedResults.Accepted(started.StatusUri, started);
    }
}
