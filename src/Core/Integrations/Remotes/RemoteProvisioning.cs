using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.Secrets;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Integrations.Remotes;

/// <param name="WebhookSecret">The project's new webhook secret: in the first answer only (not in an idempotent replay).</param>
public sealed record CreatedWithRemote(CreatedProject Created, RemoteState? Remote, string? WebhookSecret);

/// <summary>
/// <c>createRemote: true</c>: the project, a pending remote and a generated webhook secret are
/// stored in one transaction first; then the repository and its webhook are created on GitHub,
/// each step recorded as it succeeds. A failure on GitHub's side (down, name taken, credentials
/// refused) therefore never loses the project: it is created with remote status <c>failed</c> and
/// the reason, and <see cref="RetryAsync"/> continues from the step that failed.
/// </summary>
public sealed partial class RemoteProvisioning(
    ProjectService projects,
    ProjectAccess access,
    ProjectRemoteStore remotes,
    ProjectStore projectStore,
    ProjectWebhookSecretStore secrets,
    GitHubRepositoryClient github,
    WebhookHookUrls hookUrls,
    ILogger<RemoteProvisioning> logger)
{
    public async Task<Outcome<CreatedWithRemote>> CreateAsync(Caller caller, JsonNode? body, string requestHash, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var createRemote = false;
        if (body is JsonObject root && root.TryGetPropertyValue("createRemote", out var flag) && flag is not null)
        {
            if (flag.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
            {
                // Named beside whatever else is wrong with the body, so one answer lists every invalid field.
                var invalid = new Dictionary<string, string[]>(ProjectInput.Validate(body).Errors, StringComparer.Ordinal)
                {
                    ["createRemote"] = ["must be true or false."],
                };
                return Outcome<CreatedWithRemote>.Invalid(invalid);
            }

            createRemote = flag.GetValue<bool>();
        }

        if (!createRemote)
        {
            return Wrap(await projects.CreateAsync(caller, body, requestHash, idempotencyKey, cancellationToken), null, null);
        }

        var (draft, errors) = ProjectInput.Validate(body);
        if (draft is null)
        {
            return Outcome<CreatedWithRemote>.Invalid(errors);
        }

        if (draft.Repository is not { Provider: "github", FullName: { } fullName } || fullName.Count(c => c == '/') != 1)
        {
            return Outcome<CreatedWithRemote>.Invalid(new Dictionary<string, string[]>
            {
                ["createRemote"] = ["needs repository.provider github with repository.fullName owner/name (only GitHub repositories are created remotely)."],
            });
        }

        if (!github.HasCredentials)
        {
            return Outcome<CreatedWithRemote>.Fail(OutcomeKind.Unprocessable,
                "createRemote needs GitHub credentials (GitHub:Token, or a GitHub App) and this service has none; create the repository yourself and leave createRemote out.");
        }

        var secret = WebhookSecretCipher.NewSecret();
        var created = await projects.CreateAsync(caller, body, requestHash, idempotencyKey, cancellationToken, async (connection, transaction, project, ct) =>
        {
            await ProjectRemoteStore.InsertPendingAsync(connection, transaction, project.Id, fullName, ct);
            await secrets.SetAsync(project.Id, GitHubWebhookIntake.Provider, secret, connection, transaction, ct);
        });
        if (!created.Succeeded)
        {
            return Wrap(created, null, null);
        }

        if (created.Value!.Replayed)
        {
            return Wrap(created, await remotes.GetAsync(created.Value.Project.Id, cancellationToken), null);
        }

        // The project is stored: finish on GitHub even if the client goes away (the HTTP client's timeout bounds this).
        return Wrap(created, (await ProvisionAsync(created.Value.Project, CancellationToken.None)).State, secret);
    }

    public async Task<Outcome<RemoteState>> GetAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<RemoteState>(result, idOrSlug);
        }

        return await remotes.GetAsync(result.Project!.Id, cancellationToken) is { } state
            ? Outcome<RemoteState>.Ok(state)
            : Outcome<RemoteState>.Fail(OutcomeKind.NotFound, "The project was not created with createRemote, so it has no remote repository to show.");
    }

    /// <summary>Tries again from the step that failed (or was never tried, after a crash).</summary>
    public async Task<Outcome<RemoteState>> RetryAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Update, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<RemoteState>(result, idOrSlug);
        }

        var project = result.Project!;
        var current = await remotes.GetAsync(project.Id, cancellationToken);
        if (current is null)
        {
            return Outcome<RemoteState>.Fail(OutcomeKind.NotFound, "The project was not created with createRemote, so there is nothing to retry.");
        }

        if (current.Status == "created")
        {
            return Outcome<RemoteState>.Fail(OutcomeKind.Conflict, $"The repository and its webhook exist already ({current.RepositoryUrl}).");
        }

        if (project.Repository is not { Provider: "github", FullName: { } fullName } || fullName.Count(c => c == '/') != 1)
        {
            return Outcome<RemoteState>.Fail(OutcomeKind.Unprocessable, "The project's repository is no longer a GitHub owner/name; set repository back to one to retry.");
        }

        var (state, attempted) = await ProvisionAsync(project, CancellationToken.None);
        return attempted
            ? Outcome<RemoteState>.Ok(state)
            : Outcome<RemoteState>.Fail(OutcomeKind.Conflict, $"Another attempt is creating the repository right now (status {state.Status}); look again shortly.");
    }

    /// <summary>Finishes remotes a crash interrupted (see <see cref="ProjectRemoteStore.FindInterruptedAsync"/>); the timer's pass.</summary>
    /// <returns>How many were attempted.</returns>
    public async Task<int> ResumeInterruptedAsync(TimeSpan pendingFor, CancellationToken cancellationToken)
    {
        var attempted = 0;
        foreach (var projectId in await remotes.FindInterruptedAsync(pendingFor, 20, cancellationToken))
        {
            if (await projectStore.LoadSnapshotAsync(projectId, cancellationToken) is not { Project: { ArchivedAt: null, Repository: { Provider: "github", FullName: { } fullName } } project } ||
                fullName.Count(c => c == '/') != 1)
            {
                continue; // archived, or no longer a GitHub owner/name: the user decides
            }

            var (_, tried) = await ProvisionAsync(project, cancellationToken);
            attempted += tried ? 1 : 0;
        }

        return attempted;
    }

    private async Task<(RemoteState State, bool Attempted)> ProvisionAsync(Project project, CancellationToken cancellationToken)
    {
        var claimed = await remotes.TryClaimAsync(project.Id, project.Repository!.FullName!, cancellationToken);
        if (claimed is null)
        {
            return ((await remotes.GetAsync(project.Id, cancellationToken))!, false);
        }

        var slash = claimed.FullName.IndexOf('/', StringComparison.Ordinal);
        var (owner, name) = (claimed.FullName[..slash], claimed.FullName[(slash + 1)..]);
        try
        {
            if (claimed.RepositoryUrl is null)
            {
                var url = await github.CreateRepositoryAsync(owner, name, project.Description, project.Visibility != Visibilities.Public, cancellationToken);
                await remotes.RecordRepositoryAsync(project.Id, url, cancellationToken);
            }

            var secret = await secrets.GetSecretAsync(GitHubWebhookIntake.Provider, project.Id, cancellationToken)
                ?? throw new GitHubApiException(null, "The project's webhook secret is missing or unreadable; set one with POST /projects/{id}/webhook-secret, then retry.");
            var hookId = await github.CreateHookAsync(claimed.FullName, hookUrls.For(GitHubWebhookIntake.Provider, project.Id), secret, cancellationToken);
            await remotes.RecordCreatedAsync(project.Id, hookId, cancellationToken);
            LogCreated(logger, project.Id, claimed.FullName);
        }
        catch (GitHubApiException e)
        {
            await remotes.RecordFailedAsync(project.Id, e.Message, cancellationToken);
            LogFailed(logger, project.Id, claimed.FullName, e.StatusCode, e.Message);
        }

        return ((await remotes.GetAsync(project.Id, cancellationToken))!, true);
    }

    private static Outcome<CreatedWithRemote> Wrap(Outcome<CreatedProject> created, RemoteState? remote, string? secret) =>
        new(created.Kind, created.Value is null ? null : new CreatedWithRemote(created.Value, remote, secret), created.Detail, created.Errors);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created GitHub repository {FullName} and its webhook for project {ProjectId}")]
    private static partial void LogCreated(ILogger logger, Guid projectId, string fullName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Creating GitHub repository {FullName} for project {ProjectId} failed ({StatusCode}): {Reason}")]
    private static partial void LogFailed(ILogger logger, Guid projectId, string fullName, int? statusCode, string reason);
}
