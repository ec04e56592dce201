using System.Globalization;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>
/// A run's workspace on this runner: <c>{root}/{runId}</c>, plus <c>{runId}.done</c> holding the
/// position of the last step that succeeded here. A step may use the workspace only when the
/// step just before it completed here; otherwise (another runner ran it, or a crash left it
/// half-written) the workspace is rebuilt.
/// </summary>
public sealed class Workspaces(string root)
{
    public string PathFor(Guid runId) => Path.Combine(root, runId.ToString("N"));

    /// <summary>The run's home directory for sandboxed commands (package caches shared by its steps).</summary>
    public string HomeFor(Guid runId) => Path.Combine(root, runId.ToString("N") + ".home");

    private string StateFile(Guid runId) => Path.Combine(root, runId.ToString("N") + ".done");

    public bool IsUsableFor(Guid runId, int position)
    {
        if (!Directory.Exists(PathFor(runId)))
        {
            return false;
        }

        return File.Exists(StateFile(runId)) &&
            int.TryParse(File.ReadAllText(StateFile(runId)), NumberStyles.Integer, CultureInfo.InvariantCulture, out var done) && done == position - 1;
    }

    /// <summary>Called before a step runs: from here until it succeeds, the workspace is not trusted.</summary>
    public void BeginStep(Guid runId)
    {
        Directory.CreateDirectory(root);
        DeleteFile(StateFile(runId));
        Directory.CreateDirectory(PathFor(runId));
        Directory.SetLastWriteTimeUtc(PathFor(runId), DateTime.UtcNow); // activity, for PruneIdle
    }

    /// <summary>
    /// Deletes workspaces no step has begun in for <paramref name="maxIdle"/>: what a killed runner
    /// or an abandoned run left behind (a finished run's workspace is deleted at once). Only age
    /// decides, so runners sharing the directory never lose a workspace in use; a run that comes
    /// back after longer restores its workspace like any runner that does not have it.
    /// </summary>
    /// <returns>How many workspaces were deleted.</returns>
    public int PruneIdle(TimeSpan maxIdle, DateTime nowUtc)
    {
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var pruned = 0;
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos())
        {
            var name = Path.GetFileNameWithoutExtension(entry.Name);
            if (!Guid.TryParseExact(name, "N", out var runId) || nowUtc - entry.LastWriteTimeUtc < maxIdle ||
                (entry.Name != runId.ToString("N") && Directory.Exists(PathFor(runId)))) // state file and home go with their workspace
            {
                continue;
            }

            try
            {
                Delete(runId);
                pruned += entry.Name == runId.ToString("N") ? 1 : 0; // workspaces are counted, not their companions
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // In use or not ours to delete: the next pass tries again.
            }
        }

        return pruned;
    }

    public void Reset(Guid runId)
    {
        Delete(runId);
        Directory.CreateDirectory(PathFor(runId));
    }

    public void CompleteStep(Guid runId, int position) =>
        File.WriteAllText(StateFile(runId), position.ToString(CultureInfo.InvariantCulture));

    public string OutputsFile(Guid runId) => Path.Combine(root, runId.ToString("N") + ".outputs");

    public void Delete(Guid runId)
    {
        DeleteFile(StateFile(runId));
        DeleteFile(OutputsFile(runId));
        foreach (var directory in new[] { PathFor(runId), HomeFor(runId) })
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static void DeleteFile(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }
}
