using DevMentor.Core.Pipelines.Execution;

namespace DevMentor.Core.Tests.Pipelines;

public sealed class WorkspacesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("devmentor-workspaces-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Pruning_deletes_only_workspaces_no_step_began_in_for_the_idle_limit_with_their_state_files()
    {
        var workspaces = new Workspaces(_root);
        var now = DateTime.UtcNow;
        var abandoned = Guid.NewGuid();
        var active = Guid.NewGuid();
        var resumed = Guid.NewGuid();
        foreach (var run in new[] { abandoned, active, resumed })
        {
            workspaces.BeginStep(run);
            File.WriteAllText(Path.Combine(workspaces.PathFor(run), "file.txt"), "x");
            workspaces.CompleteStep(run, 0);
        }

        Directory.SetLastWriteTimeUtc(workspaces.PathFor(abandoned), now.AddHours(-26));
        Directory.SetLastWriteTimeUtc(workspaces.PathFor(active), now.AddHours(-1));
        Directory.SetLastWriteTimeUtc(workspaces.PathFor(resumed), now.AddHours(-26));
        workspaces.BeginStep(resumed); // a step began again: that is activity
        var orphanState = Path.Combine(_root, Guid.NewGuid().ToString("N") + ".done");
        File.WriteAllText(orphanState, "3");
        File.SetLastWriteTimeUtc(orphanState, now.AddHours(-30));
        File.WriteAllText(Path.Combine(_root, "not-a-workspace"), "kept");

        var pruned = workspaces.PruneIdle(TimeSpan.FromHours(25), now.AddSeconds(1));

        Assert.Equal(1, pruned);
        Assert.False(Directory.Exists(workspaces.PathFor(abandoned)));
        Assert.False(workspaces.IsUsableFor(abandoned, 1));
        Assert.False(File.Exists(orphanState));
        Assert.True(workspaces.IsUsableFor(active, 1));
        Assert.True(Directory.Exists(workspaces.PathFor(resumed)));
        Assert.True(File.Exists(Path.Combine(_root, "not-a-workspace")));
    }

    [Fact]
    public void A_runs_home_goes_with_its_workspace_never_before_it()
    {
        var workspaces = new Workspaces(_root);
        var now = DateTime.UtcNow;
        var (active, abandoned) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var run in new[] { active, abandoned })
        {
            workspaces.BeginStep(run);
            Directory.CreateDirectory(Path.Combine(workspaces.HomeFor(run), ".npm"));
            Directory.SetLastWriteTimeUtc(workspaces.HomeFor(run), now.AddHours(-30)); // written long ago, by the install step
        }

        Directory.SetLastWriteTimeUtc(workspaces.PathFor(abandoned), now.AddHours(-26));

        Assert.Equal(1, workspaces.PruneIdle(TimeSpan.FromHours(25), now));
        Assert.True(Directory.Exists(workspaces.HomeFor(active)));
        Assert.False(Directory.Exists(workspaces.HomeFor(abandoned)));

        workspaces.Delete(active);
        Assert.False(Directory.Exists(workspaces.HomeFor(active)));
    }
}
