using DevMentor.Core.Code;
using DevMentor.Core.Code.Sync;
using DevMentor.Core.Pipelines;

namespace DevMentor.Core.Creation;

/// <summary>
/// The first install in a working copy (what warms the caches the first build uses), and which
/// lock file to commit when the template has none: npm (package-lock.json) and Go modules (go.sum,
/// when go.mod requires anything). Python and .NET templates are not locked (no PyPI here; NuGet
/// lock files are opt-in per project), which the step's detail says. The same for every provider.
/// </summary>
public sealed class CreationDependencies(CreationOptions options)
{
    /// <returns>The lock file to commit (relative to <paramref name="work"/>), or null; and what was done.</returns>
    public async Task<(string? LockFile, string Detail)> InstallAsync(string work, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(work, "package.json")))
        {
            var locked = new[] { "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml" }.FirstOrDefault(f => File.Exists(Path.Combine(work, f)));
            await CreationCommands.RunAsync(options.NpmPath, work, options.EffectiveTimeout, cancellationToken, "install", "--ignore-scripts", "--no-audit", "--no-fund");
            return locked is null ? ("package-lock.json", "npm install; package-lock.json committed") : (null, $"npm install; {locked} already in the repository");
        }

        if (File.Exists(Path.Combine(work, "go.mod")))
        {
            var requires = (await File.ReadAllTextAsync(Path.Combine(work, "go.mod"), cancellationToken)).Contains("require", StringComparison.Ordinal);
            if (requires && !File.Exists(Path.Combine(work, "go.sum")))
            {
                await CreationCommands.RunAsync(options.GoPath, work, options.EffectiveTimeout, cancellationToken, "mod", "tidy");
                return ("go.sum", "go mod tidy; go.sum committed");
            }

            await CreationCommands.RunAsync(options.GoPath, work, options.EffectiveTimeout, cancellationToken, "mod", "download");
            return (null, requires ? "go mod download; go.sum already in the repository" : "go mod download; go.mod requires nothing, so there is no go.sum to commit");
        }

        if (File.Exists(Path.Combine(work, "requirements.txt")) || File.Exists(Path.Combine(work, "pyproject.toml")))
        {
            return (null, "Python dependencies are installed by the first build (PyPI is not reachable from this service); no lock file committed");
        }

        return Directory.EnumerateFiles(work, "*.csproj", SearchOption.AllDirectories).Any()
            ? (null, ".NET packages are restored by the first build; NuGet lock files are opt-in, none committed")
            : (null, "no dependency manifest");
    }
}

/// <summary>The provider-independent last steps: the first build of the branch's head, and its index.</summary>
public sealed class CreationFinishing(CreationStore store, PipelineEngine engine, CodeSyncService syncs)
{
    /// <summary>The .devmentor.yml is in the first commit; the first build of the branch's head starts (once: keyed by the project).</summary>
    public async Task<string> StartFirstBuildAsync(Guid projectId, string branch, string head, CancellationToken cancellationToken)
    {
        var run = await engine.StartAsync(new StartRunRequest(projectId, "push", branch, head, IdempotencyKey: $"creation:{projectId:N}"), cancellationToken);
        await store.SetFirstBuildAsync(projectId, run.RunId, cancellationToken);
        return $"run {run.RunId} (#{run.Number}) of {head[..12]}";
    }

    public async Task<string> IndexAsync(Guid projectId, string branch, string head, CancellationToken cancellationToken)
    {
        var sync = await syncs.EnqueueAsync(new SyncRequest(projectId, head, $"refs/heads/{branch}", null, null, "create"), cancellationToken);
        return $"sync {sync.Id} of {head[..12]} ({sync.Status})";
    }
}
