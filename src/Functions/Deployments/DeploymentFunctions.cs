using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Deployments;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;

namespace DevMentor.Functions.Deployments;

/// <summary>
/// Deploy a build to an environment (202 + status URL; the worker does it), list the history,
/// read one, roll back. Maintainers deploy and roll back; viewers read.
/// </summary>
public static class DeploymentFunctions
{
    public static IEndpointRouteBuilder MapDeploymentFunctions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/projects/{id}").WithTags("Deployments");
        group.MapPost("/deploy", DeployAsync).WithName("DeployProject");
        group.MapGet("/deployments", ListAsync).WithName("ListDeployments");
        group.MapGet("/deployments/{deploymentId:guid}", GetAsync).WithName("GetDeployment");
        group.MapPost("/deployments/{deploymentId:guid}/rollback", RollbackAsync).WithName("RollbackDeployment");
        return routes;
    }

    public static async Task<IResult> DeployAsync(string id, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken)
    {
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

    public static async Task<IResult> RollbackAsync(string id, Guid deploymentId, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken) =>
        Accepted(await deployments.RollbackAsync(Caller.From(context.User), id, deploymentId, cancellationToken));

    public static async Task<IResult> ListAsync(string id, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
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

    public static async Task<IResult> GetAsync(string id, Guid deploymentId, HttpContext context, DeploymentService deployments, CancellationToken cancellationToken)
    {
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
