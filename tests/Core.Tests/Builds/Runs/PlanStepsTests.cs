using System.Text.Json;
using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Runs;

namespace DevMentor.Core.Tests.Builds.Runs;

public sealed class PlanStepsTests
{
    private static PlannedStep Step(string name, StepCondition? when = null, int? retries = null, IReadOnlyList<string>? artifacts = null) =>
        new(name, [[name, "run"]], "package.json", new Dictionary<string, string> { ["X"] = "1" }, TimeoutSeconds: 90, Retries: retries, When: when, Artifacts: artifacts);

    private static BuildPlan Plan(params PlannedStep[] steps) =>
        new(steps, [], ["dist/**"], ["**/junit*.xml"], ["**/cobertura*.xml"], null, []);

    [Fact]
    public void Steps_keep_order_commands_env_and_timeout_and_retries_become_attempts()
    {
        var mapped = PlanSteps.Map(Plan(Step("install", retries: 2), Step("test"), Step("build")), "main", BuildEvent.Manual);

        Assert.Equal(["install", "test", "build"], mapped.Definition.Steps.Select(s => s.Name));
        var install = mapped.Definition.Steps[0];
        Assert.Equal([["install", "run"]], install.Commands.Select(c => c.ToArray()));
        Assert.Equal((90, "1"), (install.TimeoutSeconds, install.Env!["X"]));
        Assert.Equal(3, install.Retry!.MaxAttempts);
        Assert.Null(mapped.Definition.Steps[1].Retry);
        Assert.Empty(mapped.LeftOut);
    }

    [Fact]
    public void The_test_step_reads_the_reports_and_the_last_step_keeps_the_artifacts()
    {
        var mapped = PlanSteps.Map(Plan(Step("install"), Step("test"), Step("package", artifacts: ["out/a.txt"])), "main", BuildEvent.Push);

        Assert.Equal(["**/junit*.xml", "**/cobertura*.xml"], mapped.Definition.Steps[1].Reports);
        Assert.Null(mapped.Definition.Steps[0].Reports);
        Assert.Null(mapped.Definition.Steps[0].Artifacts);
        Assert.Equal(["out/a.txt", "dist/**"], mapped.Definition.Steps[2].Artifacts);
    }

    [Fact]
    public void Steps_whose_when_does_not_match_the_branch_or_event_are_left_out_with_why()
    {
        var mainOnly = new StepCondition(["main"], null);
        var pushOnly = new StepCondition(null, [BuildEvent.Push]);
        var plan = Plan(Step("install"), Step("deploy-docs", mainOnly), Step("publish", pushOnly));

        var onFeature = PlanSteps.Map(plan, "feature/x", BuildEvent.Push);
        var manualOnMain = PlanSteps.Map(plan, "main", BuildEvent.Manual);

        Assert.Equal(["install", "publish"], onFeature.Definition.Steps.Select(s => s.Name));
        Assert.Contains(onFeature.LeftOut, l => l.StartsWith("deploy-docs:", StringComparison.Ordinal) && l.Contains("feature/x", StringComparison.Ordinal));
        Assert.Equal(["install", "deploy-docs"], manualOnMain.Definition.Steps.Select(s => s.Name));
    }

    [Fact]
    public void An_image_adds_the_built_in_image_step_last_and_reserved_names_are_left_out()
    {
        var plan = Plan(Step("clone"), Step("build")) with { Image = new ImagePlan("docker", "docker/Containerfile", ["latest", "edge"], "Containerfile") };

        var mapped = PlanSteps.Map(plan, "main", BuildEvent.Manual);

        Assert.Equal(["build", "image"], mapped.Definition.Steps.Select(s => s.Name));
        var image = mapped.Definition.Steps[1];
        Assert.Equal("image", image.Uses);
        Assert.Empty(image.Commands);
        Assert.Equal(("docker/Containerfile", "docker", "latest,edge"), (image.With!["file"], image.With["context"], image.With["tags"]));
        Assert.Single(mapped.LeftOut, l => l.StartsWith("clone:", StringComparison.Ordinal));
    }

    [Fact]
    public void The_mapped_definition_is_valid_for_the_engine()
    {
        var mapped = PlanSteps.Map(Plan(Step("install"), Step("test")) with { Image = new ImagePlan(".", "Containerfile", [], "Containerfile") }, "main", BuildEvent.Manual);

        Assert.Empty(DevMentor.Core.Pipelines.PipelineDefinitionValidator.Validate(mapped.Definition));
    }

    [Theory]
    [InlineData("push", BuildEvent.Push)]
    [InlineData("pull_request", BuildEvent.PullRequest)]
    [InlineData("merge_request", BuildEvent.PullRequest)]
    [InlineData("tag", BuildEvent.Tag)]
    [InlineData("manual", BuildEvent.Manual)]
    [InlineData("retry", BuildEvent.Manual)]
    public void Triggers_map_to_when_events(string trigger, BuildEvent expected) => Assert.Equal(expected, PlanSteps.EventFor(trigger));

    [Fact]
    public void Deploy_environments_serialise_as_camel_case_json()
    {
        IReadOnlyList<DeployEnvironment> environments = [new DeployEnvironment("staging", DeployType.Local, ["node", "server.js"], "/health", HealthTimeoutSeconds: 30)];

        var json = JsonSerializer.Serialize(environments, BuildRunJsonContext.Default.IReadOnlyListDeployEnvironment);

        using var document = JsonDocument.Parse(json);
        var first = document.RootElement[0];
        Assert.Equal(("staging", "Local", "/health", 30), (first.GetProperty("name").GetString(), first.GetProperty("type").GetString(),
            first.GetProperty("healthPath").GetString(), first.GetProperty("healthTimeoutSeconds").GetInt32()));
    }
}
