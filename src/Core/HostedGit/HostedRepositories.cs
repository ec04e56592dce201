using System.Diagnostics;
using System.Text;
using DevMentor.Core.Projects;

namespace DevMentor.Core.HostedGit;

/// <summary>A commit a push brought, as push deliveries list them (id and message; GitHub and GitLab use the same names).</summary>
public sealed record HostedCommit(string Id, string Message);

/// <summary>
/// The bare repositories of hosted projects on disk: created on first use (initialised beside, then
/// renamed into place, so a half-made repository is never served), their refs read, and the commits
/// a push brought listed. Plain git commands: the repositories are git's own format, served by git.
/// </summary>
public sealed class HostedRepositories(HostedGitOptions options, HostedRepositoryRoot root)
{
    public const string ZeroSha = "0000000000000000000000000000000000000000";

    private const int MaxCommitsPerPush = 100;

    public string PathOf(Guid projectId) => root.PathOf(projectId);

    public bool Exists(Guid projectId) => File.Exists(Path.Combine(PathOf(projectId), "HEAD"));

    /// <summary>Creates the project's bare repository with HEAD on <paramref name="defaultBranch"/> unless it exists (idempotent).</summary>
    public async Task EnsureCreatedAsync(Guid projectId, string defaultBranch, CancellationToken cancellationToken)
    {
        if (Exists(projectId))
        {
            return;
        }

        Directory.CreateDirectory(options.Directory);
        var staging = Path.Combine(options.Directory, $".init-{projectId:N}-{Guid.NewGuid():N}");
        try
        {
            await RunAsync(options.Directory, cancellationToken, "init", "--quiet", "--bare", $"--initial-branch={defaultBranch}", staging);
            try
            {
                Directory.Move(staging, PathOf(projectId));
            }
            catch (IOException) when (Exists(projectId))
            {
                // Another request created it first: theirs is as good as ours.
            }
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>Every ref (branches, tags) and the commit it points at.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadRefsAsync(Guid projectId, CancellationToken cancellationToken)
    {
        var output = await RunAsync(PathOf(projectId), cancellationToken, "for-each-ref", "--format=%(objectname) %(refname)");
        var refs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0)
            {
                refs[line[(space + 1)..]] = line[..space];
            }
        }

        return refs;
    }

    /// <summary>The commits reachable from <paramref name="after"/> that none of the refs before the push reached (oldest first, at most 100).</summary>
    public async Task<IReadOnlyList<HostedCommit>> NewCommitsAsync(Guid projectId, string after, IEnumerable<string> before, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "log", "--format=%H%x1f%B%x1e", $"--max-count={MaxCommitsPerPush}", after, "--not" };
        arguments.AddRange(before.Where(sha => sha != ZeroSha).Distinct(StringComparer.Ordinal));
        arguments.Add("--");
        var output = await RunAsync(PathOf(projectId), cancellationToken, [.. arguments]);
        var commits = new List<HostedCommit>();
        foreach (var record in output.Split('\x1e', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = record.TrimStart('\n').Split('\x1f', 2);
            if (parts.Length == 2)
            {
                commits.Add(new HostedCommit(parts[0], parts[1].TrimEnd('\n')));
            }
        }

        commits.Reverse();
        return commits;
    }

    private async Task<string> RunAsync(string workingDirectory, CancellationToken cancellationToken, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(options.GitPath)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        startInfo.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("git did not start.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"git {arguments[0]} failed ({process.ExitCode}): {(await errors).Trim()}");
    }
}
