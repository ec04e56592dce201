using System.Text.Json.Nodes;
using DevMentor.Core.Durable;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Core.Templates;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Creation;

/// <summary>A project created with a template: stored, and its creation flow started (202 with the status URL).</summary>
public sealed record CreationAccepted(Project Project, ProjectCreation Creation, bool Replayed);

/// <summary>
/// <c>POST /projects</c> with a <c>template</c>: the project and its flow's rows are stored in one
/// transaction (idempotency keys as for any create), then the flow's orchestration is scheduled.
/// The status is read from the rows the activities write; a failed flow is retried from its failed
/// step by a new instance.
/// </summary>
public sealed partial class ProjectCreationService(
    ProjectService projects, ProjectAccess access, CreationStore store, DurableClientSource clients, CreationOptions options, ILogger<ProjectCreationService> logger)
{
    public static string StatusLocationOf(Guid projectId) => $"/projects/{projectId}/creation";

    /// <summary>True when the body asks for more than a stored record (a template), which this service handles.</summary>
    public static bool Applies(JsonNode? body) => body is JsonObject root && root.TryGetPropertyValue("template", out var template) && template is not null;

    public async Task<Outcome<CreationAccepted>> CreateAsync(Caller caller, JsonNode? body, string requestHash, string? idempotencyKey, DurableTaskClient? client, CancellationToken cancellationToken)
    {
        var (draft, projectErrors) = ProjectInput.Validate(body);
        var errors = new Dictionary<string, string[]>(projectErrors, StringComparer.Ordinal);
        var root = (JsonObject)body!;
        var template = ProjectInput.AsString(root["template"]);
        if (template is null || TemplateCatalog.Find(template) is null)
        {
            errors["template"] = [$"must be one of {string.Join(", ", TemplateCatalog.All.Select(t => t.Name))}."];
        }

        if (root["createRemote"] is not null)
        {
            errors["createRemote"] = ["cannot be combined with template: a template project's repository is created by its creation flow."];
        }

        if (draft is not null && draft.Repository?.Provider != HostedRepositoryRoot.Provider)
        {
            errors["repository.provider"] = ["must be hosted for a project made from a template (the github and gitlab creation flows are not built yet)."];
        }

        TemplateValues? values = null;
        if (draft is not null)
        {
            var given = root["templateValues"] as JsonObject;
            if (root["templateValues"] is not null and not JsonObject)
            {
                errors["templateValues"] = ["must be an object {projectName, namespace, description}."];
            }

            var (validated, valueErrors) = TemplateCatalog.Validate(
                ProjectInput.AsString(given?["projectName"]) ?? draft.Slug ?? ProjectSlug.FromName(draft.Name),
                ProjectInput.AsString(given?["namespace"]),
                ProjectInput.AsString(given?["description"]) ?? draft.Description);
            values = validated;
            foreach (var (field, messages) in valueErrors)
            {
                errors[$"templateValues.{field}"] = messages;
            }
        }

        if (errors.Count > 0 || values is null)
        {
            return Outcome<CreationAccepted>.Invalid(errors);
        }

        var created = await projects.CreateAsync(caller, body, requestHash, idempotencyKey, cancellationToken, (connection, transaction, project, ct) =>
            CreationStore.InsertAsync(connection, transaction, project.Id, template!, HostedRepositoryRoot.Provider, values, caller.UserId!, ct));
        if (!created.Succeeded)
        {
            return new Outcome<CreationAccepted>(created.Kind, null, created.Detail, created.Errors);
        }

        var projectId = created.Value!.Project.Id;
        if (!created.Value.Replayed)
        {
            // Stored: the flow starts even if the client goes away now.
            await ScheduleAsync(projectId, 1, client, CancellationToken.None);
        }

        var creation = (await store.GetAsync(projectId, CloneUrlOf(projectId), cancellationToken))!;
        return new Outcome<CreationAccepted>(OutcomeKind.Created, new CreationAccepted(created.Value.Project, creation, created.Value.Replayed));
    }

    public async Task<Outcome<ProjectCreation>> GetAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<ProjectCreation>(result, idOrSlug);
        }

        return await store.GetAsync(result.Project!.Id, CloneUrlOf(result.Project.Id), cancellationToken) is { } creation
            ? Outcome<ProjectCreation>.Ok(creation)
            : Outcome<ProjectCreation>.Fail(OutcomeKind.NotFound, "The project was not created from a template, so it has no creation flow.");
    }

    /// <summary>Starts a new instance of a failed flow (maintainers and up): the steps done are passed, the failed one runs again.</summary>
    public async Task<Outcome<ProjectCreation>> RetryAsync(Caller caller, string idOrSlug, DurableTaskClient? client, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Update, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<ProjectCreation>(result, idOrSlug);
        }

        var projectId = result.Project!.Id;
        if (await store.ClaimRetryAsync(projectId, cancellationToken) is not { } attempt)
        {
            return await store.GetAsync(projectId, null, cancellationToken) is { } current
                ? Outcome<ProjectCreation>.Fail(OutcomeKind.Conflict, $"The creation flow is {current.Status}; only a failed one can be retried.")
                : Outcome<ProjectCreation>.Fail(OutcomeKind.NotFound, "The project was not created from a template, so it has no creation flow.");
        }

        await ScheduleAsync(projectId, attempt, client, CancellationToken.None);
        return Outcome<ProjectCreation>.Ok((await store.GetAsync(projectId, CloneUrlOf(projectId), cancellationToken))!);
    }

    private string CloneUrlOf(Guid projectId) =>
        options.PublicBaseUrl is { } root ? new Uri(root, HostedRepositoryRoot.HttpPathOf(projectId).TrimStart('/')).AbsoluteUri : HostedRepositoryRoot.HttpPathOf(projectId);

    private async Task ScheduleAsync(Guid projectId, int attempt, DurableTaskClient? client, CancellationToken cancellationToken)
    {
        try
        {
            client ??= await clients.GetAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            await client.ScheduleNewOrchestrationInstanceAsync(ProjectCreationOrchestrator.Name, projectId,
                new StartOrchestrationOptions(ProjectCreationOrchestrator.InstanceId(projectId, attempt)), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The rows are stored: the flow shows as failed at its first step and can be retried.
            LogNotScheduled(logger, e, projectId);
            await store.FailUnstartedAsync(projectId, $"The creation flow could not be started ({e.GetType().Name}); retry it.", CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The creation flow of project {ProjectId} could not be scheduled")]
    private static partial void LogNotScheduled(ILogger logger, Exception exception, Guid projectId);
}
