namespace DevMentor.Core.Pipelines.Execution;

/// <summary>The host paths a sandboxed command gets: its run's workspace, home and outputs file.</summary>
public sealed record SandboxMounts(string Workspace, string Home, string OutputsFile);

/// <summary>
/// Builds the view a step's command runs in, with bubblewrap (docs/adr/0010-step-sandbox.md): a new
/// mount namespace holding only the toolchains and system directories (read-only), the run's
/// workspace, a per-run home, a private /tmp, a fresh /proc of a new PID namespace and a minimal
/// /dev. The data dir, other runs' workspaces, /root and the service's own files are not in it;
/// the service's processes cannot be seen, so not traced. As root the command then drops to the
/// step account with no capabilities and no_new_privs; otherwise a user namespace keeps the
/// runner's own uid. The process tree dies with the runner (--die-with-parent, and the PID
/// namespace ends with its first process).
/// </summary>
public sealed class StepSandbox
{
    public const string Program = "bwrap";
    public const string WorkspacePath = "/workspace";
    public const string HomePath = "/home/devmentor";
    public const string OutputsPath = "/run/devmentor/outputs";

    /// <summary>System directories bound read-only when they exist (symbolic links such as /bin → usr/bin stay links).</summary>
    public static IReadOnlyList<string> SystemPaths { get; } = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"];

    private readonly RunnerOptions _options;
    private readonly Lazy<StepAccount?> _account;

    public StepSandbox(RunnerOptions options)
    {
        _options = options;
        _account = new Lazy<StepAccount?>(() => Environment.IsPrivilegedProcess ? StepAccount.Resolve(options.StepUser) : null, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The account commands run as; null when the runner is not root (the command keeps the runner's uid).</summary>
    public StepAccount? Account => _account.Value;

    /// <summary>Gives the step account its workspace, home and outputs file (what built-in steps wrote as root included).</summary>
    public void Prepare(SandboxMounts mounts)
    {
        Directory.CreateDirectory(mounts.Workspace);
        Directory.CreateDirectory(mounts.Home);
        if (!File.Exists(mounts.OutputsFile))
        {
            File.WriteAllBytes(mounts.OutputsFile, []);
        }

        File.SetUnixFileMode(mounts.Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Account?.Own(mounts.Workspace, mounts.Home, mounts.OutputsFile);
    }

    /// <summary>The command line that runs <paramref name="argv"/> inside the sandbox.</summary>
    public IReadOnlyList<string> Wrap(IReadOnlyList<string> argv, SandboxMounts mounts)
    {
        var args = new List<string>
        {
            Program, "--die-with-parent", "--new-session",
            "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        };
        if (Account is null)
        {
            args.AddRange(["--unshare-user", "--cap-drop", "ALL"]);
        }

        var bound = new List<string>();
        BindReadOnly(args, bound, SystemPaths.Concat(ToolchainPaths()));
        // Mounted before the operator's paths, which may lie below /tmp.
        args.AddRange(["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/var/tmp"]);
        var made = new HashSet<string>(StringComparer.Ordinal) { "/", "/tmp", "/var/tmp" };
        foreach (var path in _options.SandboxReadOnlyPaths.Select(Path.GetFullPath).Where(p => !bound.Any(b => Inside(p, b))))
        {
            MakeParents(args, made, bound, path);
        }

        BindReadOnly(args, bound, _options.SandboxReadOnlyPaths);
        foreach (var shared in _options.SandboxWritablePaths.Select(Path.GetFullPath).Where(Directory.Exists).Distinct(StringComparer.Ordinal))
        {
            MakeParents(args, made, bound, shared);
            args.AddRange(["--bind", shared, shared]);
        }

        // The service's own directories may sit below a bound one (a data dir under /opt): covered up.
        foreach (var hidden in _options.HiddenPaths.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            // A service started from / or /usr does not cover the toolchains up: only what lies below them.
            if (!bound.Any(b => hidden != b && Inside(hidden, b)))
            {
                continue;
            }

            if (Directory.Exists(hidden))
            {
                args.AddRange(["--tmpfs", hidden]);
            }
            else if (File.Exists(hidden))
            {
                args.AddRange(["--ro-bind", "/dev/null", hidden]);
            }
        }

        MakeParents(args, made, bound, HomePath);
        MakeParents(args, made, bound, OutputsPath);
        args.AddRange(
        [
            "--bind", mounts.Workspace, WorkspacePath,
            "--bind", mounts.Home, HomePath,
            "--bind", mounts.OutputsFile, OutputsPath,
            "--chdir", WorkspacePath,
            "--",
        ]);
        if (Account is { } account)
        {
            var id = account.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var group = account.GroupId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            args.AddRange(["setpriv", "--reuid", id, "--regid", group, "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]);
        }

        args.AddRange(argv);
        return args;
    }

    /// <summary>
    /// bwrap makes the missing parents of a mount point readable by root alone; the step user must
    /// pass through them, so they are made first, 0755.
    /// </summary>
    private static void MakeParents(List<string> args, HashSet<string> made, List<string> bound, string path)
    {
        var parents = new List<string>();
        for (var parent = Path.GetDirectoryName(path); parent is not null && !made.Contains(parent) && !bound.Any(b => Inside(parent, b)); parent = Path.GetDirectoryName(parent))
        {
            parents.Add(parent);
        }

        for (var i = parents.Count - 1; i >= 0; i--)
        {
            args.AddRange(["--perms", "0755", "--dir", parents[i]]);
            made.Add(parents[i]);
        }
    }

    private static void BindReadOnly(List<string> args, List<string> bound, IEnumerable<string> paths)
    {
        foreach (var path in paths.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            if (bound.Any(b => Inside(path, b)))
            {
                continue;
            }

            var info = new DirectoryInfo(path);
            if (info.LinkTarget is { } target && path.Count(c => c == '/') == 1)
            {
                args.AddRange(["--symlink", target, path]); // /bin → usr/bin on merged-/usr systems
            }
            else if (info.Exists || File.Exists(path))
            {
                args.AddRange(["--ro-bind", path, path]);
                bound.Add(path);
            }
        }
    }

    /// <summary>
    /// A trusted tool that runs the repository's code itself and needs root's capabilities to do so
    /// (buildah building a Containerfile: its RUN lines, in a chroot). It keeps the runner's user
    /// but gets the same narrow view: the system directories, <paramref name="readOnly"/> and
    /// <paramref name="writable"/> at their own paths, private /tmp, no other process in sight.
    /// </summary>
    public IReadOnlyList<string> WrapTool(IReadOnlyList<string> argv, IEnumerable<string> readOnly, IEnumerable<string> writable, string workingDirectory)
    {
        var args = new List<string> { Program, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try" };
        if (!Environment.IsPrivilegedProcess)
        {
            args.Add("--unshare-user");
        }

        var bound = new List<string>();
        BindReadOnly(args, bound, SystemPaths.Concat(ToolchainPaths()));
        args.AddRange(["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/var/tmp"]);
        var made = new HashSet<string>(StringComparer.Ordinal) { "/", "/tmp", "/var/tmp" };
        foreach (var path in writable.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            Directory.CreateDirectory(path);
            MakeParents(args, made, bound, path);
            args.AddRange(["--bind", path, path]);
        }

        foreach (var path in readOnly.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            MakeParents(args, made, bound, path);
            args.AddRange(["--ro-bind", path, path]);
        }

        args.AddRange(["--chdir", workingDirectory, "--"]);
        args.AddRange(argv);
        return args;
    }

    /// <summary>Where dotnet and node really live, when that is outside the system directories (e.g. ~/.dotnet).</summary>
    private static IEnumerable<string> ToolchainPaths()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } dotnetRoot)
        {
            yield return dotnetRoot;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var tool in new[] { "dotnet", "node" })
        {
            var found = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            if (found is not null && Path.GetDirectoryName(new FileInfo(found).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? found) is { } directory)
            {
                yield return directory;
            }
        }
    }

    private static bool Inside(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal);
}
