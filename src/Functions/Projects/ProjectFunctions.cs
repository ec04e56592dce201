using System.Security.Cryptography;
using System.Text.Json;
using DevMentor.Core.Creation;
using DevMentor.Core.Integrations.Remotes;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using DevMentor.Functions.Webhooks;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace DevMentor.Functions.Projects;

/// <summary>The project functions: the seed endpoints (…/create, …/list, …/update) and their REST aliases.</summary>
[Tags("Projects")]
public sealed class ProjectFunctions(ProjectService projects, RemoteProvisioning remotes, ProjectCreationService creations)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 200;

    [Function("CreateProject")]
    public Task<IResult> CreateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/create")] HttpRequest request,
        [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        CreateProjectAsync(request, durable, cancellationToken);

    [Function("CreateProjectRest")]
    public Task<IResult> CreateRestAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects")] HttpRequest request,
        [DurableClient] DurableTaskClient durable, CancellationToken cancellationToken) =>
        CreateProjectAsync(request, durable, cancellationToken);

    [Function("ListProjects")]
    public Task<IResult> ListAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/list")] HttpRequest request, CancellationToken cancellationToken) =>
        ListProjectsAsync(request, cancellationToken);

    [Function("ListProjectsRest")]
    public Task<IResult> ListRestAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects")] HttpRequest request, CancellationToken cancellationToken) =>
        ListProjectsAsync(request, cancellationToken);

    [Function("GetProject")]
    public async Task<IResult> GetAsync([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var outcome = await projects.GetAsync(Caller.From(request.HttpContext.User), id, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var project = outcome.Value!;
        ConditionalGet.SetValidators(request.HttpContext.Response, project.ETag);
        return ConditionalGet.IsNotModified(request, project.ETag)
            ? ConditionalGet.NotModified(request.HttpContext.Response, project.ETag)
            : TypedResults.Json(project, ProjectsJsonContext.Default.Project);
    }

    [Function("UpdateProject")]
    public Task<IResult> UpdateAsync([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/update")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        UpdateProjectAsync(request, id, cancellationToken);

    [Function("UpdateProjectRest")]
    public Task<IResult> UpdateRestAsync([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "projects/{id}")] HttpRequest request, string id, CancellationToken cancellationToken) =>
        UpdateProjectAsync(request, id, cancellationToken);

    [Function("ArchiveProject")]
    public async Task<IResult> ArchiveAsync([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "projects/{id}")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var outcome = await projects.ArchiveAsync(Caller.From(request.HttpContext.User), id, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }

    private async Task<IResult> CreateProjectAsync(HttpRequest request, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        var key = request.Headers[IdempotencyKeyHeader].ToString();
        if (key.Length > MaxIdempotencyKeyLength || key.Any(c => c is < ' ' or > '~'))
        {
            return JsonRequest.BadRequest($"{IdempotencyKeyHeader} must be at most {MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        var (body, problem) = await JsonRequest.ReadAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(body!.Bytes));
        if (ProjectCreationService.Applies(body.Node))
        {
            // A template: more than a stored record, so 202 and the flow's status URL.
            var accepted = await creations.CreateAsync(Caller.From(request.HttpContext.User), body.Node, hash, key.Length == 0 ? null : key, durable, cancellationToken);
            return accepted.Succeeded ? CreationFunctions.Accepted(request.HttpContext, accepted.Value!) : OutcomeResults.Problem(accepted);
        }

        var outcome = await remotes.CreateAsync(Caller.From(request.HttpContext.User), body.Node, hash, key.Length == 0 ? null : key, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        // createRemote (repository and webhook on GitHub) is handled there; without it this is the plain create.
        return ProjectIntegrationFunctions.Created(request.HttpContext, outcome.Value!);
    }

    private async Task<IResult> ListProjectsAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var queryString = request.Query;
        var (query, errors) = ProjectListQueries.Parse(queryString["limit"], queryString["cursor"], queryString["q"], queryString["archived"]);
        if (query is null)
        {
            return OutcomeResults.Problem(Outcome<ProjectPage>.Invalid(errors));
        }

        var page = await projects.ListAsync(Caller.From(request.HttpContext.User), query, cancellationToken);
        return ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(page, ProjectsJsonContext.Default.ProjectPage));
    }

    private async Task<IResult> UpdateProjectAsync(HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonRequest.ReadAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var ifMatch = request.Headers.IfMatch.ToString();
        var outcome = await projects.UpdateAsync(Caller.From(request.HttpContext.User), id, body!.Node, ifMatch.Length == 0 ? null : ifMatch, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        request.HttpContext.Response.Headers.ETag = outcome.Value!.ETag;
        return TypedResults.Json(outcome.Value, ProjectsJsonContext.Default.Project);
    }
}
