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
        if (Directory.Exists(PathFor(runId)))
        {
            Directory.Delete(PathFor(runId), recursive: true);
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
