using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;

namespace DevMentor.Core.Tests.Pipelines;

/// <summary>The bwrap command line a step runs under (what it does is shown by the attack tests in Functions.Tests).</summary>
public sealed class StepSandboxTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("devmentor-sandbox-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private SandboxMounts Mounts() => new(Path.Combine(_root, "ws"), Path.Combine(_root, "home"), Path.Combine(_root, "outputs"));

    private static StepSandbox Sandbox(params string[] hidden) => new(new RunnerOptions
    {
        WorkDirectory = "/nonexistent",
        StepUser = "nobody", // an existing unprivileged account: nothing is created
        HiddenPaths = hidden,
    });

    [Fact]
    public void The_service_s_directories_below_a_bound_one_are_covered_but_never_a_system_directory_itself()
    {
        var optChild = Directory.GetDirectories("/opt").FirstOrDefault() ?? "/usr/share";

        var args = Sandbox(optChild, "/", "/usr", "/nonexistent/data").Wrap(["true"], Mounts());

        Assert.True(Pair(args, "--tmpfs", optChild) > Pair(args, "--ro-bind", "/usr"), string.Join(' ', args)); // covered, after the binds
        Assert.Equal(-1, Pair(args, "--tmpfs", "/usr"));
        Assert.Equal(-1, Pair(args, "--tmpfs", "/"));
        Assert.Equal(-1, Pair(args, "--tmpfs", "/nonexistent/data")); // not in the view anyway
    }

    [Fact]
    public void The_workspace_home_and_outputs_are_the_only_writable_binds_and_the_command_runs_last()
    {
        var mounts = Mounts();
        var args = Sandbox().Wrap(["dotnet", "build"], mounts);

        Assert.Equal(StepSandbox.Program, args[0]);
        Assert.Contains("--die-with-parent", args);
        Assert.Contains("--unshare-pid", args);
        Assert.Contains("--new-session", args);
        Assert.Equal(3, args.Count(a => a == "--bind"));
        Assert.True(Pair(args, "--bind", mounts.Workspace) >= 0);
        Assert.Equal(StepSandbox.WorkspacePath, args[Pair(args, "--bind", mounts.Workspace) + 2]);
        Assert.Equal(["dotnet", "build"], args.TakeLast(2));
        Assert.DoesNotContain(args, a => a.StartsWith("/root", StringComparison.Ordinal));
        if (Environment.IsPrivilegedProcess)
        {
            // Root drops to the step account with nothing left.
            var setpriv = args.ToList().IndexOf("setpriv");
            Assert.True(setpriv > args.ToList().IndexOf("--"));
            Assert.Equal(["--reuid", "65534", "--regid"], args.Skip(setpriv + 1).Take(3));
            Assert.Contains("--bounding-set=-all", args);
            Assert.Contains("--no-new-privs", args);
        }
        else
        {
            Assert.Contains("--unshare-user", args);
            Assert.DoesNotContain("setpriv", args);
        }
    }

    [Fact]
    public void Shared_folders_below_tmp_are_mounted_after_the_private_tmp_through_parents_the_step_user_can_pass()
    {
        var shared = Path.Combine(_root, "deep", "shared");
        Directory.CreateDirectory(shared);
        var args = new StepSandbox(new RunnerOptions { WorkDirectory = "/nonexistent", StepUser = "nobody", SandboxWritablePaths = [shared] }).Wrap(["true"], Mounts());

        var tmp = Pair(args, "--tmpfs", "/tmp");
        var bind = Pair(args, "--bind", shared);
        var parent = Pair(args, "--dir", Path.Combine(_root, "deep"));
        Assert.True(tmp >= 0 && tmp < parent && parent < bind, string.Join(' ', args));
        Assert.Equal("0755", args[parent - 1]);
    }

    /// <summary>Where <paramref name="option"/> is directly followed by <paramref name="value"/>; -1 when nowhere.</summary>
    private static int Pair(IReadOnlyList<string> args, string option, string value)
    {
        for (var i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == option && args[i + 1] == value)
            {
                return i;
            }
        }

        return -1;
    }
}
