using DevMentor.Core.Code;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.HostedGit;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Projects;
using DevMentor.Core.Templates;

namespace DevMentor.Core.Creation;

/// <summary>
/// What each creation step does, for a hosted repository. Every step is idempotent and keyed by the
/// project: it looks at what is there before doing anything (the repository, the branch's head, the
/// lock file, the run by its idempotency key, the sync by its commit), so a step re-run after a crash
/// or a retry finishes the work instead of repeating it.
/// </summary>
public sealed class CreationWork(CreationOptions options, CreationStore store, HostedRepositories repositories, ProjectStore projects, PipelineEngine engine, CodeSyncService syncs)
{
    public async Task<string> RunAsync(Guid projectId, string step, CancellationToken cancellationToken)
    {
        var request = await store.GetRequestAsync(projectId, cancellationToken) ?? throw new InvalidOperationException($"Project {projectId} has no creation flow.");
        var project = (await projects.LoadSnapshotAsync(projectId, cancellationToken))?.Project ?? throw new InvalidOperationException($"Project {projectId} is gone.");
        if (project.Repository is not { Provider: HostedRepositoryRoot.Provider } repository)
        {
            throw new InvalidOperationException($"The project's repository is no longer hosted here ({project.Repository?.Provider ?? "none"}); set it back to hosted, then retry.");
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
            await GitAsync(work, cancellationToken, "commit", "--quiet", "-m", $"Create {request.Values.ProjectName} from the {request.Template} template");
            await GitAsync(work, cancellationToken, "push", "--quiet", repositories.PathOf(request.ProjectId), $"HEAD:refs/heads/{branch}");
            return await GitAsync(work, cancellationToken, "rev-parse", "HEAD");
        }, branch, cancellationToken);
    }

    /// <summary>
    /// The first install in a working copy (what warms the caches the first build uses), and the lock
    /// file committed when the template has none: npm (package-lock.json) and Go modules (go.sum, when
    /// go.mod requires anything). Python and .NET templates are not locked (no PyPI here; NuGet lock
    /// files are opt-in per project), which the step's detail says.
    /// </summary>
    private async Task<string> DependenciesAsync(Guid projectId, string branch, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(projectId, branch, cancellationToken) ?? throw new InvalidOperationException("The branch has no commit yet.");
        return await WithWorkTreeAsync(projectId, head, async work =>
        {
            string? lockFile = null;
            string detail;
            if (File.Exists(Path.Combine(work, "package.json")))
            {
                var locked = new[] { "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml" }.FirstOrDefault(f => File.Exists(Path.Combine(work, f)));
                await CreationCommands.RunAsync(options.NpmPath, work, options.EffectiveTimeout, cancellationToken,
                    "install", "--ignore-scripts", "--no-audit", "--no-fund");
                (lockFile, detail) = locked is null ? ("package-lock.json", "npm install; package-lock.json committed") : (null, $"npm install; {locked} already in the repository");
            }
            else if (File.Exists(Path.Combine(work, "go.mod")))
            {
                var requires = (await File.ReadAllTextAsync(Path.Combine(work, "go.mod"), cancellationToken)).Contains("require", StringComparison.Ordinal);
                if (requires && !File.Exists(Path.Combine(work, "go.sum")))
                {
                    await CreationCommands.RunAsync(options.GoPath, work, options.EffectiveTimeout, cancellationToken, "mod", "tidy");
                    (lockFile, detail) = ("go.sum", "go mod tidy; go.sum committed");
                }
                else
                {
                    await CreationCommands.RunAsync(options.GoPath, work, options.EffectiveTimeout, cancellationToken, "mod", "download");
                    detail = requires ? "go mod download; go.sum already in the repository" : "go mod download; go.mod requires nothing, so there is no go.sum to commit";
                }
            }
            else if (File.Exists(Path.Combine(work, "requirements.txt")) || File.Exists(Path.Combine(work, "pyproject.toml")))
            {
                detail = "Python dependencies are installed by the first build (PyPI is not reachable from this service); no lock file committed";
            }
            else if (Directory.EnumerateFiles(work, "*.csproj", SearchOption.AllDirectories).Any())
            {
                detail = ".NET packages are restored by the first build; NuGet lock files are opt-in, none committed";
            }
            else
            {
                detail = "no dependency manifest";
            }

            if (lockFile is not null)
            {
                await GitAsync(work, cancellationToken, "add", "--", lockFile);
                await GitAsync(work, cancellationToken, "commit", "--quiet", "-m", $"Lock dependencies ({lockFile})");
                // A branch that moved since this step read it (a user pushed) refuses the push: the step fails and can be retried.
                await GitAsync(work, cancellationToken, "push", "--quiet", repositories.PathOf(projectId), $"HEAD:refs/heads/{branch}");
                detail += " as " + await GitAsync(work, cancellationToken, "rev-parse", "--short=12", "HEAD");
            }

            return detail;
        }, branch, cancellationToken);
    }

    /// <summary>The .devmentor.yml is in the first commit; the first build of the branch's head starts (once: keyed by the project).</summary>
    private async Task<string> FirstBuildAsync(Guid projectId, string branch, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(projectId, branch, cancellationToken) ?? throw new InvalidOperationException("The branch has no commit yet.");
        var run = await engine.StartAsync(new StartRunRequest(projectId, "push", branch, head, IdempotencyKey: $"creation:{projectId:N}"), cancellationToken);
        await store.SetFirstBuildAsync(projectId, run.RunId, cancellationToken);
        return $"run {run.RunId} (#{run.Number}) of {head[..12]}";
    }

    private async Task<string> IndexAsync(Guid projectId, string branch, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(projectId, branch, cancellationToken) ?? throw new InvalidOperationException("The branch has no commit yet.");
        var sync = await syncs.EnqueueAsync(new SyncRequest(projectId, head, $"refs/heads/{branch}", null, null, "create"), cancellationToken);
        return $"sync {sync.Id} of {head[..12]} ({sync.Status})";
    }

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
