using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Orchestration;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Pipelines;

/// <summary>
/// Approve or reject the deployment a run waits for (an environment with <c>approval: required</c>). The body is
/// optional: <c>{"environment", "comment"}</c>. Answers the run as <c>GET …/builds/{runId}</c> shows it.
/// </summary>
[Tags("Builds")]
public sealed class ApprovalFunctions(ApprovalService approvals, RunOrchestrations orchestrations)
{
    [Function("ApproveBuild")]
    public Task<IResult> ApproveAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/builds/{runId:guid}/approve")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken) =>
        DecideAsync(request, id, runId, approve: true, cancellationToken);

    [Function("RejectBuild")]
    public Task<IResult> RejectAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/builds/{runId:guid}/reject")] HttpRequest request, string id, Guid runId, CancellationToken cancellationToken) =>
        DecideAsync(request, id, runId, approve: false, cancellationToken);

    private async Task<IResult> DecideAsync(HttpRequest request, string id, Guid runId, bool approve, CancellationToken cancellationToken)
    {
        var body = new ApprovalBody(null, null);
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0 || !string.IsNullOrEmpty(request.ContentType))
        {
            var (read, problem) = await JsonRequest.ReadAsync(request, BuildsJsonContext.Default.ApprovalBody, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            body = read!;
        }

        var outcome = await approvals.DecideAsync(Caller.From(request.HttpContext.User), id, runId, new ApprovalAnswer(approve, body.Environment, body.Comment), cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Json(BuildUris.Run(outcome.Value!.Run, runtime: await orchestrations.GetAsync(runId, cancellationToken)), BuildsJsonContext.Default.BuildRun)
            : OutcomeResults.Problem(outcome);
    }
}
