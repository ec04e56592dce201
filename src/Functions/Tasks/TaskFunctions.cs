using System.Globalization;
using System.Text.Json;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Core.Tasks;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Tasks;

/// <summary>A project's tasks: list (keyset pages, filters), CRUD with ETag/If-Match, history.</summary>
[Tags("Tasks")]
public sealed class TaskFunctions(TaskService tasks)
{
    [Function("ListTasks")]
    public async Task<IResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/tasks")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var q = request.Query;
        var (query, errors) = TaskListQueries.Parse(q["limit"], q["cursor"], q["state"], q["label"], q["assignee"], q["q"]);
        if (query is null)
        {
            return OutcomeResults.Problem(Outcome<TaskPage>.Invalid(errors));
        }

        var outcome = await tasks.ListAsync(Caller.From(request.HttpContext.User), id, query, cancellationToken);
        return outcome.Succeeded
            ? ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(outcome.Value!, TasksJsonContext.Default.TaskPage))
            : OutcomeResults.Problem(outcome);
    }

    /// <summary>Body: <c>{"title", "body", "state", "labels", "assignees", "priority", "dueDate", "sync"}</c>; title required.</summary>
    [Function("CreateTask")]
    public async Task<IResult> CreateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/tasks")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var (body, problem) = await JsonRequest.ReadAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var outcome = await tasks.CreateAsync(Caller.From(request.HttpContext.User), id, body!.Node, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var task = outcome.Value!;
        request.HttpContext.Response.Headers.ETag = task.ETag;
        request.HttpContext.Response.Headers.Location = $"/projects/{Uri.EscapeDataString(id)}/tasks/{task.Number.ToString(CultureInfo.InvariantCulture)}";
        return TypedResults.Json(task, TasksJsonContext.Default.ProjectTask, statusCode: StatusCodes.Status201Created);
    }

    [Function("GetTask")]
    public async Task<IResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/tasks/{number}")] HttpRequest request, string id, string number, CancellationToken cancellationToken)
    {
        if (ParseNumber(number) is not { } n)
        {
            return NoSuchTask(number);
        }

        var outcome = await tasks.GetAsync(Caller.From(request.HttpContext.User), id, n, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var task = outcome.Value!;
        ConditionalGet.SetValidators(request.HttpContext.Response, task.ETag);
        return ConditionalGet.IsNotModified(request, task.ETag)
            ? ConditionalGet.NotModified(request.HttpContext.Response, task.ETag)
            : TypedResults.Json(task, TasksJsonContext.Default.ProjectTask);
    }

    /// <summary>A JSON merge patch of the task; If-Match (the task's ETag) makes it conditional.</summary>
    [Function("UpdateTask")]
    public async Task<IResult> UpdateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "projects/{id}/tasks/{number}")] HttpRequest request, string id, string number, CancellationToken cancellationToken)
    {
        if (ParseNumber(number) is not { } n)
        {
            return NoSuchTask(number);
        }

        var (body, problem) = await JsonRequest.ReadAsync(request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var ifMatch = request.Headers.IfMatch.ToString();
        var outcome = await tasks.UpdateAsync(Caller.From(request.HttpContext.User), id, n, body!.Node, ifMatch.Length == 0 ? null : ifMatch, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        request.HttpContext.Response.Headers.ETag = outcome.Value!.ETag;
        return TypedResults.Json(outcome.Value, TasksJsonContext.Default.ProjectTask);
    }

    [Function("DeleteTask")]
    public async Task<IResult> DeleteAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "projects/{id}/tasks/{number}")] HttpRequest request, string id, string number, CancellationToken cancellationToken)
    {
        if (ParseNumber(number) is not { } n)
        {
            return NoSuchTask(number);
        }

        var ifMatch = request.Headers.IfMatch.ToString();
        var outcome = await tasks.DeleteAsync(Caller.From(request.HttpContext.User), id, n, ifMatch.Length == 0 ? null : ifMatch, cancellationToken);
        return outcome.Succeeded ? TypedResults.NoContent() : OutcomeResults.Problem(outcome);
    }

    /// <summary>Everything that happened to the task: edits with their changed fields, linked commits, sync and its conflicts.</summary>
    [Function("GetTaskHistory")]
    public async Task<IResult> HistoryAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/tasks/{number}/history")] HttpRequest request, string id, string number, CancellationToken cancellationToken)
    {
        if (ParseNumber(number) is not { } n)
        {
            return NoSuchTask(number);
        }

        var outcome = await tasks.HistoryAsync(Caller.From(request.HttpContext.User), id, n, cancellationToken);
        return outcome.Succeeded
            ? ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(outcome.Value!, TasksJsonContext.Default.TaskHistory))
            : OutcomeResults.Problem(outcome);
    }

    private static int? ParseNumber(string number) =>
        int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : null;

    private static IResult NoSuchTask(string number) =>
        OutcomeResults.Problem(Outcome<bool>.Fail(OutcomeKind.NotFound, $"No task '{(number.Length > 20 ? number[..20] : number)}': tasks are numbered 1, 2, 3…"));
}
