using DevMentor.Core.Integrations.Secrets;
using DevMentor.Core.Integrations.Statuses;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Projects;
using DevMentor.Core.Templates;

namespace DevMentor.Core.Creation;

/// <summary>
/// What each creation step does for a GitHub or GitLab repository (<see cref="IRemoteRepositoryHost"/>):
/// create_repository makes the repository (looked up first) and its webhook with the project's
/// secret; initial_commit commits the rendered template through the host's API (done when the
/// branch's head is that commit already); dependencies installs in a scratch copy of the template
/// and commits the lock file on top (done when the head is that commit); ci protects the branch
/// when asked, then starts the first build; index queues the sync of the head.
/// </summary>
public sealed class CreationRemoteWork(
    IEnumerable<IRemoteRepositoryHost> hosts, ProjectWebhookSecretStore secrets, WebhookHookUrls hookUrls,
    CreationDependencies dependencies, CreationFinishing finishing, CreationOptions options)
{
    /// <summary>The statuses a protected branch requires: the build and the code sync's analysis.</summary>
    public static readonly IReadOnlyList<string> RequiredStatuses = [CommitStatusContext.Name, CommitStatusContext.Analysis];

    public async Task<string> RunAsync(CreationRequest request, Project project, ProjectRepository repository, string step, CancellationToken cancellationToken)
    {
        var host = hosts.FirstOrDefault(h => h.Provider == request.Provider) ?? throw new InvalidOperationException($"No {request.Provider} client is configured.");
        var target = new RemoteTarget(repository.FullName!, project.Description, project.Visibility != Visibilities.Public);
        var branch = repository.DefaultBranch;
        return step switch
        {
            CreationSteps.CreateRepository => await CreateRepositoryAsync(host, request, target, branch, cancellationToken),
            CreationSteps.InitialCommit => await InitialCommitAsync(host, request, target, branch, cancellationToken),
            CreationSteps.Dependencies => await DependenciesAsync(host, request, target, branch, cancellationToken),
            CreationSteps.ContinuousIntegration => await ContinuousIntegrationAsync(host, request, target, branch, cancellationToken),
            CreationSteps.Index => await finishing.IndexAsync(request.ProjectId, branch, (await RequireHeadAsync(host, target, branch, cancellationToken)).Sha, cancellationToken),
            _ => throw new ArgumentException($"No creation step '{step}'.", nameof(step)),
        };
    }

    private async Task<string> CreateRepositoryAsync(IRemoteRepositoryHost host, CreationRequest request, RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        var url = await host.EnsureRepositoryAsync(target, branch, cancellationToken);
        var secret = await secrets.GetSecretAsync(host.Provider, request.ProjectId, cancellationToken)
            ?? throw new InvalidOperationException("The project's webhook secret is missing or unreadable; set one with POST /projects/{id}/webhook-secret, then retry.");
        var hookId = await host.EnsureHookAsync(target, hookUrls.For(host.Provider, request.ProjectId), secret, cancellationToken);
        return $"{url}; webhook {hookId}";
    }

    private static async Task<string> InitialCommitAsync(IRemoteRepositoryHost host, CreationRequest request, RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        var message = CreationWork.InitialMessage(request);
        if (await host.HeadAsync(target, branch, cancellationToken) is { Placeholder: false } head)
        {
            // Committed by an earlier attempt (and maybe built upon); any other history is never overwritten.
            return head.Message.TrimEnd() == message || head.Message.StartsWith("Lock dependencies (", StringComparison.Ordinal)
                ? head.Sha
                : $"{head.Sha}: the branch had commits already, so the template was not committed over them";
        }

        return await host.CommitAsync(target, branch, null, TemplateCatalog.Render(request.Template, request.Values), message, cancellationToken);
    }

    /// <summary>The install runs in a scratch copy of the rendered template (what the first commit holds: rendering is deterministic).</summary>
    private async Task<string> DependenciesAsync(IRemoteRepositoryHost host, CreationRequest request, RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        var head = await RequireHeadAsync(host, target, branch, cancellationToken);
        if (head.Message.StartsWith("Lock dependencies (", StringComparison.Ordinal))
        {
            return $"lock file committed by an earlier attempt as {head.Sha[..12]}";
        }

        var work = Path.Combine(options.WorkDirectory, $"{request.ProjectId:N}-{Guid.NewGuid():N}"[..45]);
        try
        {
            await TemplateCatalog.WriteAsync(work, TemplateCatalog.Render(request.Template, request.Values), cancellationToken);
            var (lockFile, detail) = await dependencies.InstallAsync(work, cancellationToken);
            if (lockFile is null)
            {
                return detail;
            }

            var content = await File.ReadAllBytesAsync(Path.Combine(work, lockFile), cancellationToken);
            var sha = await host.CommitAsync(target, branch, head.Sha, [new RenderedFile(lockFile, content)], CreationWork.LockMessage(lockFile), cancellationToken);
            return $"{detail} as {sha[..Math.Min(12, sha.Length)]}";
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private async Task<string> ContinuousIntegrationAsync(IRemoteRepositoryHost host, CreationRequest request, RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        var protection = request.ProtectBranch ? await host.ProtectBranchAsync(target, branch, RequiredStatuses, cancellationToken) + "; " : "";
        var head = await RequireHeadAsync(host, target, branch, cancellationToken);
        return protection + await finishing.StartFirstBuildAsync(request.ProjectId, branch, head.Sha, cancellationToken);
    }

    private static async Task<RemoteHead> RequireHeadAsync(IRemoteRepositoryHost host, RemoteTarget target, string branch, CancellationToken cancellationToken) =>
        await host.HeadAsync(target, branch, cancellationToken) ?? throw new InvalidOperationException($"Branch {branch} of {target.FullName} has no commit yet.");
}
