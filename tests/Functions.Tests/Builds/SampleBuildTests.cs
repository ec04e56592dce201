using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Config;
using DevMentor.Core.Builds.Detection;
using DevMentor.Core.Builds.Git;
using DevMentor.Core.Pipelines.Reports;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>
/// The sample repositories through clone → plan → the planned commands, with the real
/// toolchains of this machine, and their report files read back with exact counts.
/// </summary>
public sealed class SampleBuildTests(SampleRepositories samples) : IClassFixture<SampleRepositories>, IDisposable
{
    private readonly string _workspaces = Directory.CreateTempSubdirectory("devmentor-sample-build-").FullName;

    public void Dispose() => Directory.Delete(_workspaces, recursive: true);

    private async Task<(string Workspace, BuildPlan Plan)> CloneAndPlanAsync(SampleRepository repository)
    {
        var workspace = Path.Combine(_workspaces, repository.Name);
        var clone = await new GitCheckout(NullLogger<GitCheckout>.Instance)
            .CloneAsync(repository.FileUrl, repository.HeadSha, repository.Branch, workspace, null, GitCloneLimits.Default, _ => { }, CancellationToken.None);
        Assert.Equal(repository.HeadSha, clone.CommitSha);
        return (workspace, await BuildPlanner.PlanAsync(workspace, Toolchains.FromEnvironment(), CancellationToken.None));
    }

    private static string[][] Commands(BuildPlan plan, string step) => plan.Step(step)!.Commands.Select(c => c.ToArray()).ToArray();

    [Fact]
    public async Task Node_sample_plans_and_runs_install_test_build_and_pack()
    {
        var (workspace, plan) = await CloneAndPlanAsync(samples.Node);

        Assert.Equal(["install", "test", "build", "package"], plan.Steps.Select(s => s.Name));
        Assert.Equal([["npm", "ci"]], Commands(plan, "install"));
        Assert.Equal([["npm", "test"]], Commands(plan, "test"));
        Assert.Equal([["npm", "run", "build"]], Commands(plan, "build"));
        Assert.All(plan.Steps, s => Assert.Null(s.MissingToolchain));
        Assert.Contains(plan.Notes, n => n.File == "package-lock.json");

        foreach (var step in plan.Steps)
        {
            var outcome = await PlanRunner.RunAsync(step, workspace, TimeSpan.FromMinutes(3));
            Assert.True(outcome.ExitCode == 0, $"{step.Name} failed:\n{outcome.Output}");
        }

        var reports = TestReportCollector.Collect(workspace, plan.TestReports, plan.CoverageReports);
        Assert.Empty(reports.Problems);
        var summary = reports.Summary;
        Assert.Equal((SampleRepositories.NodePassing, 0, 0), (summary.Passed, summary.Failed, summary.Skipped));
        Assert.Equal(["adds numbers", "greets", "adds negatives"], summary.Items.Select(i => i.Name));
        Assert.Equal("edge cases", summary.Items[2].Suite);
        Assert.True(File.Exists(Path.Combine(workspace, "dist", "index.js")));
        Assert.Equal([".devmentor-out/packages/devmentor-sample-node-1.0.0.tgz"], TestReportCollector.Find(workspace, plan.Artifacts));
    }

    [Fact]
    public async Task Node_failing_sample_fails_its_test_step_and_reports_the_failure()
    {
        var (workspace, plan) = await CloneAndPlanAsync(samples.NodeFailing);

        Assert.Equal(0, (await PlanRunner.RunAsync(plan.Step("install")!, workspace, TimeSpan.FromMinutes(3))).ExitCode);
        var test = await PlanRunner.RunAsync(plan.Step("test")!, workspace, TimeSpan.FromMinutes(3));

        Assert.NotEqual(0, test.ExitCode);
        var summary = TestReportCollector.Collect(workspace, plan.TestReports, plan.CoverageReports).Summary;
        Assert.Equal((3, 1, 0), (summary.Passed, summary.Failed, summary.Skipped));
        var failed = summary.Items.Single(i => i.Outcome == TestOutcome.Failed);
        Assert.Equal(("edge cases", "adds strings as numbers"), (failed.Suite, failed.Name));
        Assert.Contains("'23' !== 5", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dotnet_samples_plan_restore_test_with_trx_and_coverage_and_publish()
    {
        var (_, plan) = await CloneAndPlanAsync(samples.Dotnet);

        Assert.Equal(["install", "test", "build"], plan.Steps.Select(s => s.Name));
        Assert.Equal([["dotnet", "restore", "Calc.sln"]], Commands(plan, "install"));
        Assert.Equal([["dotnet", "test", "Calc.sln", "--logger", "trx", "--collect", "XPlat Code Coverage", "--results-directory", ".devmentor-out/test-results"]], Commands(plan, "test"));
        Assert.Equal([["dotnet", "publish", "src/Calc/Calc.csproj", "-c", "Release", "-o", ".devmentor-out/publish/Calc"]], Commands(plan, "build"));
        Assert.Contains(plan.Notes, n => n.File == "Calc.sln" && n.Message.Contains("2 project(s), 1 of them test projects", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dotnet_failing_sample_runs_and_its_trx_and_coverage_give_exact_counts()
    {
        var (workspace, plan) = await CloneAndPlanAsync(samples.DotnetFailing);

        var install = await PlanRunner.RunAsync(plan.Step("install")!, workspace, TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0, install.Output);
        var test = await PlanRunner.RunAsync(plan.Step("test")!, workspace, TimeSpan.FromMinutes(5));

        Assert.NotEqual(0, test.ExitCode);
        var reports = TestReportCollector.Collect(workspace, plan.TestReports, plan.CoverageReports);
        Assert.Empty(reports.Problems);
        var summary = reports.Summary;
        Assert.Equal((3, 1, 0), (summary.Passed, summary.Failed, summary.Skipped));
        var failed = summary.Items.Single(i => i.Outcome == TestOutcome.Failed);
        Assert.Equal(("Calc.Tests.CalculatorTests", "Three_is_even", "3 should be even"), (failed.Suite, failed.Name, failed.Message));
        Assert.Single(reports.Coverage); // the attachment copy under In/ is the same file, counted once
        Assert.Equal(100.0, summary.Coverage);
        Assert.Equal(3, reports.Coverage[0].LinesValid);
    }

    [Fact]
    public async Task Container_sample_is_flagged_for_an_image_build()
    {
        var (_, plan) = await CloneAndPlanAsync(samples.Container);

        Assert.Equal(".", plan.Image!.ContextDir);
        Assert.Equal("Containerfile", plan.Image.File);
        Assert.Empty(plan.Steps);
        Assert.Contains(plan.Notes, n => n.Ecosystem == "container" && n.File == "Containerfile");
    }

    [Fact]
    public async Task Invalid_config_sample_is_rejected_with_its_position_before_anything_runs()
    {
        var workspace = Path.Combine(_workspaces, "invalid");
        await new GitCheckout(NullLogger<GitCheckout>.Instance)
            .CloneAsync(samples.InvalidConfig.FileUrl, null, null, workspace, null, GitCloneLimits.Default, _ => { }, CancellationToken.None);

        var error = await Assert.ThrowsAsync<DevMentorConfigException>(() => BuildPlanner.PlanAsync(workspace, Toolchains.FromEnvironment(), CancellationToken.None));

        Assert.Equal((3, 5), ((int)error.Line, (int)error.Column));
        Assert.StartsWith(".devmentor.yml:3:5: unknown key 'comands' in a step", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(workspace, "node_modules")));
    }
}
