using System.Security.Cryptography;
using System.Text.Json;
using DevMentor.Core.Integrations.Remotes;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using DevMentor.Functions.Webhooks;

namespace DevMentor.Functions.Projects;

/// <summary>The project functions: the seed endpoints (…/create, …/list, …/update) and their REST aliases.</summary>
public static class ProjectFunctions
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 200;

    public static IEndpointRouteBuilder MapProjectFunctions(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/projects").WithTags("Projects");
        group.MapPost("/create", CreateAsync).WithName("CreateProject");
        group.MapPost("", CreateAsync).WithName("CreateProjectRest");
        group.MapGet("/list", ListAsync).WithName("ListProjects");
        group.MapGet("", ListAsync).WithName("ListProjectsRest");
        group.MapGet("/{id}", GetAsync).WithName("GetProject");
        group.MapPost("/{id}/update", UpdateAsync).WithName("UpdateProject");
        group.MapPatch("/{id}", UpdateAsync).WithName("UpdateProjectRest");
        group.MapDelete("/{id}", ArchiveAsync).WithName("ArchiveProject");
        return routes;
    }

    public static async Task<IResult> CreateAsync(HttpContext context, RemoteProvisioning projects, CancellationToken cancellationToken)
    {
        var key = context.Request.Headers[IdempotencyKeyHeader].ToString();
        if (key.Length > MaxIdempotencyKeyLength || key.Any(c => c is < ' ' or > '~'))
        {
            return JsonRequest.BadRequest($"{IdempotencyKeyHeader} must be at most {MaxIdempotencyKeyLength} printable ASCII characters.");
        }

        var (body, problem) = await JsonRequest.ReadAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(body!.Bytes));
        var outcome = await projects.CreateAsync(Caller.From(context.User), body.Node, hash, key.Length == 0 ? null : key, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        // createRemote (repository and webhook on GitHub) is handled there; without it this is the plain create.
        return ProjectIntegrationFunctions.Created(context, outcome.Value!);
    }

    public static async Task<IResult> ListAsync(HttpContext context, ProjectService projects, CancellationToken cancellationToken)
    {
        var queryString = context.Request.Query;
        var (query, errors) = ProjectListQueries.Parse(queryString["limit"], queryString["cursor"], queryString["q"], queryString["archived"]);
        if (query is null)
        {
            return OutcomeResults.Problem(Outcome<ProjectPage>.Invalid(errors));
        }

        var page = await projects.ListAsync(Caller.From(context.User), query, cancellationToken);
        return ConditionalGet.JsonWithHashETag(context, JsonSerializer.SerializeToUtf8Bytes(page, ProjectsJsonContext.Default.ProjectPage));
    }

    public static async Task<IResult> GetAsync(string id, HttpContext context, ProjectService projects, CancellationToken cancellationToken)
    {
        var outcome = await projects.GetAsync(Caller.From(context.User), id, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var project = outcome.Value!;
        ConditionalGet.SetValidators(context.Response, project.ETag);
        return ConditionalGet.IsNotModified(context.Request, project.ETag)
            ? ConditionalGet.NotModified(context.Response, project.ETag)
            : TypedResults.Ok(project);
    }

    public static async Task<IResult> UpdateAsync(string id, HttpContext context, ProjectService projects, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonRequest.ReadAsync(context.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var ifMatch = context.Request.Headers.IfMatch.ToString();
        var outcome = await projects.UpdateAsync(Caller.From(context.User), id, body!.Node, ifMatch.Length == 0 ? null : ifMatch, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        context.Response.Headers.ETag = outcome.Value!.ETag;
        return TypedResults.Ok(outcome.Value);
    }

    public static async Task<IResult> ArchiveAsync(string id, HttpContext context, ProjectService projects, CancellationToken cancellationToken)
    {
        var outcome = await projects.ArchiveAsync(Caller.From(context.User), id, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }
}
