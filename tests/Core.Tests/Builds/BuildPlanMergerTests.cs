using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Config;
using DevMentor.Core.Builds.Detection;

namespace DevMentor.Core.Tests.Builds;

public sealed class BuildPlanMergerTests : IDisposable
{
    private readonly TempWorkspace _ws = new TempWorkspace()
        .With("package.json", """{"scripts":{"test":"node --test","build":"node build.js"}}""")
        .With("package-lock.json", "{}")
        .With("Containerfile", "FROM scratch\n");

    public void Dispose() => _ws.Dispose();

    private Task<BuildPlan> PlanAsync(string yaml)
    {
        File.WriteAllText(Path.Combine(_ws.Root, ".devmentor.yml"), yaml);
        return BuildPlanner.PlanAsync(_ws.Root, new Toolchains(_ws.FakePath("npm", "node")), CancellationToken.None);
    }

    [Fact]
    public async Task Overrides_keep_detected_fields_and_new_steps_go_where_the_config_lists_them()
    {
        var plan = await PlanAsync("""
            steps:
              - name: install
                timeout: 5m
              - name: lint
                commands: [npm run lint]
              - name: test
                commands: ["node --test --test-reporter=junit --test-reporter-destination=junit.xml"]
                retries: 1
              - name: package
                skip: true
              - name: smoke
                commands: [[node, smoke.js]]
                artifacts: [smoke/*.log]
            artifacts: [dist/**]
            """);

        Assert.Equal(["install", "lint", "test", "build", "smoke"], plan.Steps.Select(s => s.Name));
        var install = plan.Step("install")!;
        Assert.Equal([["npm", "ci"]], install.Commands.Select(c => c.ToArray()));
        Assert.Equal(300, install.TimeoutSeconds);
        Assert.Contains("adjusted by .devmentor.yml", install.Source, StringComparison.Ordinal);
        var test = plan.Step("test")!;
        Assert.Equal(["node", "--test", "--test-reporter=junit", "--test-reporter-destination=junit.xml"], test.Commands.Single());
        Assert.Equal(".devmentor.yml", test.Source);
        Assert.Equal("false", test.Env!["NPM_CONFIG_UPDATE_NOTIFIER"]);
        Assert.Equal(1, test.Retries);
        Assert.Equal(["dist/**", "smoke/*.log"], plan.Artifacts.Where(a => !a.StartsWith(".devmentor-out", StringComparison.Ordinal)));
        Assert.DoesNotContain(".devmentor-out/packages/*.tgz", plan.Artifacts.Where(_ => plan.Step("package") is not null));
        Assert.Equal("Containerfile", plan.Image!.File);
        Assert.Contains(plan.Notes, n => n.Message == "step 'package' skipped");
    }

    [Fact]
    public async Task A_new_step_listed_first_goes_before_the_next_known_step()
    {
        var plan = await PlanAsync("steps:\n  - name: prepare\n    commands: [node prepare.js]\n  - name: test\n    timeout: 60\n");
        Assert.Equal(["install", "prepare", "test", "build", "package"], plan.Steps.Select(s => s.Name));
    }

    [Fact]
    public async Task Detect_false_runs_only_the_config_steps_and_drops_the_detected_image()
    {
        var plan = await PlanAsync("detect: false\nsteps:\n  - name: only\n    commands: [make]\n");
        Assert.Equal(["only"], plan.Steps.Select(s => s.Name));
        Assert.Null(plan.Image);
        Assert.Contains("**/*.trx", plan.TestReports);
    }

    [Fact]
    public async Task Image_settings_and_deploy_environments_come_through()
    {
        _ws.With("docker/App.Containerfile", "FROM scratch\n");
        var plan = await PlanAsync("image:\n  file: docker/App.Containerfile\n  context: docker\n  tags: [edge]\ndeploy:\n  environments:\n    - name: dev\n      type: local\n      start: [node, server.js]\n");
        Assert.Equal(new ImagePlan("docker", "docker/App.Containerfile", plan.Image!.Tags, ".devmentor.yml"), plan.Image);
        Assert.Equal(["edge"], plan.Image.Tags);
        Assert.Equal("dev", plan.Deploy.Single().Name);
    }

    [Fact]
    public async Task Image_false_disables_the_detected_image()
    {
        var plan = await PlanAsync("image: false\n");
        Assert.Null(plan.Image);
    }

    [Fact]
    public async Task An_image_file_that_does_not_exist_is_an_error()
    {
        var error = await Assert.ThrowsAsync<DevMentorConfigException>(() => PlanAsync("image:\n  file: nope/Containerfile\n"));
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_step_without_commands_is_an_error_naming_the_detected_steps()
    {
        var error = await Assert.ThrowsAsync<DevMentorConfigException>(() => PlanAsync("steps:\n  - name: lint\n    timeout: 60\n"));
        Assert.Contains("'lint' is not a detected step (install, test, build, package)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_commands_replace_a_missing_toolchain_failure()
    {
        _ws.With("go.mod", "module x\n");
        var plan = await PlanAsync("steps:\n  - name: build\n    commands: [make]\n");
        Assert.Null(plan.Step("build")!.MissingToolchain);
        Assert.Equal("go", plan.Step("install")!.MissingToolchain);
    }

    [Fact]
    public async Task An_invalid_config_fails_planning_before_anything_runs()
    {
        var error = await Assert.ThrowsAsync<DevMentorConfigException>(() => PlanAsync("steps:\n  - name: test\n    timeot: 5\n"));
        Assert.Equal((3, 5), ((int)error.Line, (int)error.Column));
    }
}
