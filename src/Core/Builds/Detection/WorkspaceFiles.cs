namespace DevMentor.Core.Builds.Detection;

/// <summary>
/// A bounded look at a checkout: detection must stay quick on a huge repository, must not
/// descend into dependency or output folders, and must never follow a symlink out of the workspace.
/// </summary>
internal sealed class WorkspaceFiles(string root)
{
    private const int MaxEntries = 20_000;
    private const long MaxReadBytes = 1024 * 1024;

    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal)
    {
        ".git", "node_modules", "bin", "obj", ".venv", "venv", "__pycache__", "vendor", "dist", "build", "target", BuildOutputs.Root,
    };

    public string Root { get; } = Path.GetFullPath(root);

    public bool Exists(string relative) => new FileInfo(Path.Combine(Root, relative)) is { Exists: true, LinkTarget: null };

    public bool DirectoryExists(string relative) => new DirectoryInfo(Path.Combine(Root, relative)) is { Exists: true, LinkTarget: null };

    /// <summary>Workspace-relative, '/'-separated paths, sorted, up to <paramref name="maxDepth"/> folders deep (0 = root only).</summary>
    public List<string> Find(Func<string, bool> fileName, int maxDepth)
    {
        var found = new List<string>();
        var seen = 0;
        var pending = new Queue<(string Dir, int Depth)>();
        pending.Enqueue((Root, 0));
        while (pending.Count > 0 && seen < MaxEntries)
        {
            var (dir, depth) = pending.Dequeue();
            IEnumerable<FileSystemInfo> entries;
            try
            {
                entries = new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var entry in entries)
            {
                if (++seen > MaxEntries || entry.LinkTarget is not null)
                {
                    continue;
                }

                if (entry is DirectoryInfo && depth < maxDepth && !Skipped.Contains(entry.Name))
                {
                    pending.Enqueue((entry.FullName, depth + 1));
                }
                else if (entry is FileInfo && fileName(entry.Name))
                {
                    found.Add(Path.GetRelativePath(Root, entry.FullName).Replace('\\', '/'));
                }
            }
        }

        found.Sort(StringComparer.Ordinal);
        return found;
    }

    /// <summary>The text of a small file; empty when missing, a link, or too large to be a manifest.</summary>
    public string Read(string relative)
    {
        var info = new FileInfo(Path.Combine(Root, relative));
        if (!info.Exists || info.LinkTarget is not null || info.Length > MaxReadBytes)
        {
            return "";
        }

        try
        {
            return File.ReadAllText(info.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
