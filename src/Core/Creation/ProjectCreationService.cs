using System.Text.Json.Nodes;
using DevMentor.Core.Durable;
using DevMentor.Core.Integrations.Secrets;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Core.Templates;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Creation;

/// <summary>A project created with a template: stored, and its creation flow started (202 with the status URL).</summary>
/// <param name="WebhookSecret">GitHub and GitLab: the project's generated webhook secret, in the first answer only (not in an idempotent replay).</param>
public sealed record CreationAccepted(Project Project, ProjectCreation Creation, bool Replayed, string? WebhookSecret = null);

/// <summary>
/// <c>POST /projects</c> with a <c>template</c>: the project and its flow's rows are stored in one
/// transaction (idempotency keys as for any create), then the flow's orchestration is scheduled.
/// The status is read from the rows the activities write; a failed flow is retried from its failed
/// step by a new instance.
/// </summary>
public sealed partial class ProjectCreationService(
    ProjectService projects, ProjectAccess access, CreationStore store, DurableClientSource clients, CreationOptions options,
    IEnumerable<IRemoteRepositoryHost> hosts, ProjectWebhookSecretStore secrets, ILogger<ProjectCreationService> logger)
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

        var provider = draft?.Repository?.Provider;
        if (draft is not null && provider is not (HostedRepositoryRoot.Provider or "github" or "gitlab"))
        {
            errors["repository.provider"] = ["must be hosted, github or gitlab for a project made from a template."];
        }
        else if (provider == "github" && draft!.Repository!.FullName!.Count(c => c == '/') != 1)
        {
            errors["repository.fullName"] = ["must be owner/name for GitHub (the owner is the token's user or an organisation)."];
        }

        var protectBranch = false;
        if (root["protectBranch"] is { } protect)
        {
            if (protect.GetValueKind() is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False))
            {
                errors["protectBranch"] = ["must be true or false."];
            }
            else if ((protectBranch = protect.GetValue<bool>()) && provider == HostedRepositoryRoot.Provider)
            {
                errors["protectBranch"] = ["applies to github and gitlab repositories only (a hosted repository has no branch protection)."];
            }
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

        var remote = provider == HostedRepositoryRoot.Provider ? null : hosts.FirstOrDefault(h => h.Provider == provider);
        if (provider != HostedRepositoryRoot.Provider && remote is not { HasCredentials: true })
        {
            return Outcome<CreationAccepted>.Fail(OutcomeKind.Unprocessable,
                $"A {provider} project made from a template needs the service's {provider} credentials ({(provider == "github" ? "GitHub:Token or a GitHub App" : "GitLab:Token")}), and this service has none.");
        }

        // The hook's secret is the project's own, stored with it: a retried step finds it again.
        var secret = remote is null ? null : WebhookSecretCipher.NewSecret();
        var created = await projects.CreateAsync(caller, body, requestHash, idempotencyKey, cancellationToken, async (connection, transaction, project, ct) =>
        {
            await CreationStore.InsertAsync(connection, transaction, project.Id, template!, provider!, values, protectBranch, caller.UserId!, ct);
            if (secret is not null)
            {
                await secrets.SetAsync(project.Id, provider!, secret, connection, transaction, ct);
            }
        });
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

        var creation = (await store.GetAsync(projectId, CloneUrlOf(created.Value.Project), cancellationToken))!;
        return new Outcome<CreationAccepted>(OutcomeKind.Created, new CreationAccepted(created.Value.Project, creation, created.Value.Replayed, created.Value.Replayed ? null : secret));
    }

    public async Task<Outcome<ProjectCreation>> GetAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<ProjectCreation>(result, idOrSlug);
        }

        return await store.GetAsync(result.Project!.Id, CloneUrlOf(result.Project), cancellationToken) is { } creation
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
        return Outcome<ProjectCreation>.Ok((await store.GetAsync(projectId, CloneUrlOf(result.Project), cancellationToken))!);
    }

    /// <summary>The hosted repository's clone URL; a GitHub or GitLab repository's is the project's repository.cloneUrl, when given.</summary>
    private string? CloneUrlOf(Project project) =>
        project.Repository?.Provider != HostedRepositoryRoot.Provider ? project.Repository?.CloneUrl
        : options.PublicBaseUrl is { } root ? new Uri(root, HostedRepositoryRoot.HttpPathOf(project.Id).TrimStart('/')).AbsoluteUri
        : HostedRepositoryRoot.HttpPathOf(project.Id);

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
