using DevMentor.Core.HostedGit;
using DevMentor.Core.Projects;
using DevMentor.Core.Templates;

namespace DevMentor.Core.Creation;

/// <summary>
/// What each creation step does, for a hosted repository (GitHub and GitLab: <see cref="CreationRemoteWork"/>). Every step is idempotent and keyed by the
/// project: it looks at what is there before doing anything (the repository, the branch's head, the
/// lock file, the run by its idempotency key, the sync by its commit), so a step re-run after a crash
/// or a retry finishes the work instead of repeating it.
/// </summary>
public sealed class CreationWork(
    CreationOptions options, CreationStore store, HostedRepositories repositories, ProjectStore projects, CreationDependencies dependencies, CreationFinishing finishing, CreationRemoteWork remote)
{
    public async Task<string> RunAsync(Guid projectId, string step, CancellationToken cancellationToken)
    {
        var request = await store.GetRequestAsync(projectId, cancellationToken) ?? throw new InvalidOperationException($"Project {projectId} has no creation flow.");
        var project = (await projects.LoadSnapshotAsync(projectId, cancellationToken))?.Project ?? throw new InvalidOperationException($"Project {projectId} is gone.");
        if (project.Repository is not { } repository || repository.Provider != request.Provider)
        {
            throw new InvalidOperationException(
                $"The project's repository is no longer a {request.Provider} one ({project.Repository?.Provider ?? "none"}); set it back, then retry.");
        }

        if (request.Provider != HostedRepositoryRoot.Provider)
        {
            return await remote.RunAsync(request, project, repository, step, cancellationToken);
        }

        var branch = repository.DefaultBranch;
        return step switch
        {
            CreationSteps.CreateRepository => await CreateRepositoryAsync(projectId, branch, cancellationToken),
            CreationSteps.InitialCommit => await InitialCommitAsync(request, branch, cancellationToken),
            CreationSteps.Dependencies => await DependenciesAsync(projectId, branch, cancellationToken),
            CreationSteps.ContinuousIntegration => await FirstBuildAsync(projectId, branch, cancellationToken),
            CreationSteps.Index => await IndexAsync(projectId, branch, cancellationToken),
            _ => throw new ArgumentException($"No creation step '{step}'.", nameof(step)),
        };
    }

    private async Task<string> CreateRepositoryAsync(Guid projectId, string branch, CancellationToken cancellationToken)
    {
        await repositories.EnsureCreatedAsync(projectId, branch, cancellationToken);
        return HostedRepositoryRoot.HttpPathOf(projectId);
    }

    private async Task<string> InitialCommitAsync(CreationRequest request, string branch, CancellationToken cancellationToken)
    {
        if (await HeadAsync(request.ProjectId, branch, cancellationToken) is { } existing)
        {
            return existing; // committed by an earlier attempt
        }

        return await WithWorkTreeAsync(request.ProjectId, null, async work =>
        {
            await TemplateCatalog.WriteAsync(work, TemplateCatalog.Render(request.Template, request.Values), cancellationToken);
            await GitAsync(work, cancellationToken, "add", "-A");
            await GitAsync(work, cancellationToken, "commit", "--quiet", "-m", InitialMessage(request));
            await GitAsync(work, cancellationToken, "push", "--quiet", repositories.PathOf(request.ProjectId), $"HEAD:refs/heads/{branch}");
            return await GitAsync(work, cancellationToken, "rev-parse", "HEAD");
        }, branch, cancellationToken);
    }

    /// <summary>The first install (<see cref="CreationDependencies"/>), its lock file committed and pushed when there is one.</summary>
    private async Task<string> DependenciesAsync(Guid projectId, string branch, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(projectId, branch, cancellationToken) ?? throw new InvalidOperationException("The branch has no commit yet.");
        return await WithWorkTreeAsync(projectId, head, async work =>
        {
            var (lockFile, detail) = await dependencies.InstallAsync(work, cancellationToken);
            if (lockFile is not null)
            {
                await GitAsync(work, cancellationToken, "add", "--", lockFile);
                await GitAsync(work, cancellationToken, "commit", "--quiet", "-m", LockMessage(lockFile));
                // A branch that moved since this step read it (a user pushed) refuses the push: the step fails and can be retried.
                await GitAsync(work, cancellationToken, "push", "--quiet", repositories.PathOf(projectId), $"HEAD:refs/heads/{branch}");
                detail += " as " + await GitAsync(work, cancellationToken, "rev-parse", "--short=12", "HEAD");
            }

            return detail;
        }, branch, cancellationToken);
    }

    private async Task<string> FirstBuildAsync(Guid projectId, string branch, CancellationToken cancellationToken) =>
        await finishing.StartFirstBuildAsync(projectId, branch, await HeadAsync(projectId, branch, cancellationToken) ?? throw new InvalidOperationException("The branch has no commit yet."), cancellationToken);

    private async Task<string> IndexAsync(Guid projectId, string branch, CancellationToken cancellationToken) =>
        await finishing.IndexAsync(projectId, branch, await HeadAsync(projectId, branch, cancellationToken) ?? throw new InvalidOperationException("The branch has no commit yet."), cancellationToken);

    public static string InitialMessage(CreationRequest request) => $"Create {request.Values.ProjectName} from the {request.Template} template";

    public static string LockMessage(string lockFile) => $"Lock dependencies ({lockFile})";

    private async Task<string?> HeadAsync(Guid projectId, string branch, CancellationToken cancellationToken) =>
        (await repositories.ReadRefsAsync(projectId, cancellationToken)).GetValueOrDefault($"refs/heads/{branch}");

    /// <summary>A scratch working copy (a clone at <paramref name="commit"/>, or an empty repository), removed afterwards.</summary>
    private async Task<string> WithWorkTreeAsync(Guid projectId, string? commit, Func<string, Task<string>> work, string branch, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(options.WorkDirectory, $"{projectId:N}-{Guid.NewGuid():N}"[..45]);
        Directory.CreateDirectory(options.WorkDirectory);
        try
        {
            if (commit is null)
            {
                await GitAsync(options.WorkDirectory, cancellationToken, "init", "--quiet", $"--initial-branch={branch}", directory);
            }
            else
            {
                await GitAsync(options.WorkDirectory, cancellationToken, "clone", "--quiet", "--branch", branch, repositories.PathOf(projectId), directory);
            }

            return await work(directory);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private Task<string> GitAsync(string directory, CancellationToken cancellationToken, params string[] arguments) =>
        CreationCommands.RunAsync(options.GitPath, directory, options.EffectiveTimeout, cancellationToken, ["-c", "commit.gpgsign=false", .. arguments]);
}
