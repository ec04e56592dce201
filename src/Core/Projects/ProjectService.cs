using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Data;
using DevMentor.Core.Idempotency;
using DevMentor.Core.Security;
using Npgsql;

namespace DevMentor.Core.Projects;

public sealed record CreatedProject(Project Project, string Location, bool Replayed);

/// <summary>The project use cases: create (idempotent), get, list, update (merge patch, optimistic concurrency), archive.</summary>
public sealed class ProjectService(Database database, ProjectStore store, ProjectReader reader, ProjectAccess access, TimeProvider clock, RepositoryPolicy? repositories = null,
    HostedRepositoryRoot? hosted = null)
{
    private readonly RepositoryPolicy _repositories = repositories ?? RepositoryPolicy.AdminsOnly;

    private const int MaxAttempts = 5;

    public static string LocationOf(Guid id) => $"/projects/{id}";

    /// <param name="alsoInTransaction">
    /// Further rows another feature stores with the project, atomically (e.g. a remote repository to
    /// provision); not called when an idempotent request is replayed.
    /// </param>
    public async Task<Outcome<CreatedProject>> CreateAsync(
        Caller caller, JsonNode? body, string requestHash, string? idempotencyKey, CancellationToken cancellationToken,
        Func<NpgsqlConnection, NpgsqlTransaction, Project, CancellationToken, Task>? alsoInTransaction = null)
    {
        var (draft, errors) = ProjectInput.Validate(body);
        if (draft is null)
        {
            return Outcome<CreatedProject>.Invalid(errors);
        }

        if (draft.Repository is { Provider: HostedRepositoryRoot.Provider } && hosted is null)
        {
            return Outcome<CreatedProject>.Fail(OutcomeKind.Unprocessable, "This service keeps no hosted repositories (HostedGit is not configured).");
        }

        if (draft.Repository is { Provider: not HostedRepositoryRoot.Provider } repository && _repositories.Problem(repository.CloneUrl, caller.IsAdmin) is { } refused)
        {
            return Outcome<CreatedProject>.Invalid(new Dictionary<string, string[]> { ["repository.cloneUrl"] = [refused] });
        }

        var scope = $"CreateProject|{caller.PartitionKey}";
        var derived = ProjectSlug.FromName(draft.Name);
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            // A slug derived from the name gets a short random suffix when taken; one the client chose is a conflict.
            var slug = draft.Slug ?? (attempt == 0 ? derived : $"{derived}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}");
            var now = Now();
            var id = Guid.CreateVersion7();
            var project = new Project(id, slug, draft.Name, draft.Description, draft.Visibility, Hosted(id, draft.Repository), draft.Settings,
                caller.UserId!, now, now, null, 1);
            var location = LocationOf(project.Id);

            await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (idempotencyKey is not null)
            {
                var stored = await IdempotencyStore.ClaimAsync(connection, transaction, scope, idempotencyKey, requestHash, cancellationToken);
                if (stored is not null)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    if (stored.RequestHash != requestHash)
                    {
                        return Outcome<CreatedProject>.Fail(OutcomeKind.Unprocessable,
                            "This Idempotency-Key was already used with a different request body; use a new key for a new request.");
                    }

                    var first = JsonSerializer.Deserialize(stored.Body, ProjectsJsonContext.Default.Project)!;
                    return new Outcome<CreatedProject>(OutcomeKind.Created, new CreatedProject(first, stored.Location ?? LocationOf(first.Id), Replayed: true));
                }
            }

            try
            {
                await store.InsertAsync(connection, transaction, project, cancellationToken);
            }
            catch (SlugTakenException) when (draft.Slug is null)
            {
                await transaction.RollbackAsync(cancellationToken);
                continue;
            }
            catch (SlugTakenException e)
            {
                await transaction.RollbackAsync(cancellationToken);
                return Outcome<CreatedProject>.Fail(OutcomeKind.Conflict, $"The slug '{e.Slug}' is already used by another project.");
            }

            if (alsoInTransaction is not null)
            {
                await alsoInTransaction(connection, transaction, project, cancellationToken);
            }

            if (idempotencyKey is not null)
            {
                await IdempotencyStore.CompleteAsync(connection, transaction, scope, idempotencyKey, 201,
                    JsonSerializer.Serialize(project, ProjectsJsonContext.Default.Project), location, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return new Outcome<CreatedProject>(OutcomeKind.Created, new CreatedProject(project, location, Replayed: false));
        }

        return Outcome<CreatedProject>.Fail(OutcomeKind.Conflict, $"No free slug near '{derived}'; choose one with the slug field.");
    }

    public async Task<Outcome<Project>> GetAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        return result.Outcome == AccessOutcome.Allowed ? Outcome<Project>.Ok(result.Project!) : Denied<Project>(result, idOrSlug);
    }

    public async Task<ProjectPage> ListAsync(Caller caller, ProjectListQuery query, CancellationToken cancellationToken)
    {
        var (heads, next) = await store.ListAsync(caller, query, cancellationToken);
        return new ProjectPage(await reader.GetManyAsync(heads, cancellationToken), next);
    }

    /// <summary>
    /// Applies a JSON merge patch. With <paramref name="ifMatch"/> the write happens only on that
    /// version (412 otherwise); without it the patch is applied to whatever is current (last write wins,
    /// but never a lost field: the patch is re-applied when another write slipped in between).
    /// </summary>
    public async Task<Outcome<Project>> UpdateAsync(Caller caller, string idOrSlug, JsonNode? patch, string? ifMatch, CancellationToken cancellationToken)
    {
        if (patch is not JsonObject)
        {
            return Outcome<Project>.Invalid(new Dictionary<string, string[]> { [""] = ["The merge patch must be a JSON object."] });
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Update, cancellationToken);
            if (result.Outcome != AccessOutcome.Allowed)
            {
                return Denied<Project>(result, idOrSlug);
            }

            var current = result.Project!;
            if (ifMatch is not null && !Matches(ifMatch, current))
            {
                return Outcome<Project>.Fail(OutcomeKind.PreconditionFailed,
                    $"The project changed: it is at ETag {current.ETag}, not {ifMatch}. Read it again and reapply your change.");
            }

            var (draft, errors) = ProjectInput.Validate(ProjectInput.MergePatch(ProjectInput.ToDocument(current), patch));
            if (draft is null)
            {
                return Outcome<Project>.Invalid(errors);
            }

            if (draft.Repository is { Provider: HostedRepositoryRoot.Provider } && hosted is null)
            {
                return Outcome<Project>.Fail(OutcomeKind.Unprocessable, "This service keeps no hosted repositories (HostedGit is not configured).");
            }

            // Only a URL this update sets is checked: an admin's earlier choice stays editable by the project's owners.
            if (draft.Repository is { Provider: not HostedRepositoryRoot.Provider } repository && repository.CloneUrl != current.Repository?.CloneUrl &&
                _repositories.Problem(repository.CloneUrl, caller.IsAdmin) is { } refused)
            {
                return Outcome<Project>.Invalid(new Dictionary<string, string[]> { ["repository.cloneUrl"] = [refused] });
            }

            var changed = current with
            {
                Slug = draft.Slug ?? ProjectSlug.FromName(draft.Name),
                Name = draft.Name,
                Description = draft.Description,
                Visibility = draft.Visibility,
                Repository = Hosted(current.Id, draft.Repository),
                Settings = draft.Settings,
                UpdatedAt = Now(),
            };

            Project? stored;
            try
            {
                stored = await store.UpdateAsync(changed, current.Version, cancellationToken);
            }
            catch (SlugTakenException e)
            {
                return Outcome<Project>.Fail(OutcomeKind.Conflict, $"The slug '{e.Slug}' is already used by another project.");
            }

            if (stored is not null)
            {
                await reader.InvalidateAsync(stored.Id, cancellationToken);
                return Outcome<Project>.Ok(stored);
            }

            if (ifMatch is not null)
            {
                return Outcome<Project>.Fail(OutcomeKind.PreconditionFailed, "The project changed while this update was applied; read it again and reapply your change.");
            }
        }

        return Outcome<Project>.Fail(OutcomeKind.Conflict, "The project is being changed by others right now; retry.");
    }

    /// <summary>Archives (read-only, out of default lists). Archiving an archived project succeeds.</summary>
    public async Task<Outcome<bool>> ArchiveAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Archive, cancellationToken);
        switch (result.Outcome)
        {
            case AccessOutcome.Archived:
                return Outcome<bool>.Ok(false);
            case AccessOutcome.Allowed:
                var archived = await store.ArchiveAsync(result.Project!.Id, Now(), cancellationToken);
                await reader.InvalidateAsync(result.Project.Id, cancellationToken);
                return Outcome<bool>.Ok(archived);
            default:
                return Denied<bool>(result, idOrSlug);
        }
    }

    /// <summary>Maps a refused access check to the outcome every project endpoint answers with.</summary>
    public static Outcome<T> Denied<T>(ProjectAccessResult result, string idOrSlug) => result.Outcome switch
    {
        AccessOutcome.Forbidden => Outcome<T>.Fail(OutcomeKind.Forbidden,
            $"Your role on this project ({result.Role?.ToName()}) does not allow this."),
        AccessOutcome.Archived => Outcome<T>.Fail(OutcomeKind.Conflict, "The project is archived and therefore read-only."),
        _ => Outcome<T>.Fail(OutcomeKind.NotFound, $"No project '{Truncate(idOrSlug)}' that you can see."),
    };

    /// <summary>If-Match: <c>*</c> or a list of strong ETags; weak ones never match (RFC 9110 strong comparison).</summary>
    public static bool Matches(string ifMatch, Project project) =>
        ifMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Any(tag => tag == "*" || tag == project.ETag);

    /// <summary>A hosted repository's name and URL are the project's own, whatever a client sent (no reaching another project's repository).</summary>
    private ProjectRepository? Hosted(Guid projectId, ProjectRepository? repository) =>
        repository is { Provider: HostedRepositoryRoot.Provider } && hosted is not null ? hosted.RepositoryOf(projectId, repository.DefaultBranch) : repository;

    private DateTimeOffset Now()
    {
        // PostgreSQL keeps microseconds: what is returned must equal what is read back later.
        var now = clock.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }

    private static string Truncate(string value) => value.Length > 80 ? value[..80] + "…" : value;
}
