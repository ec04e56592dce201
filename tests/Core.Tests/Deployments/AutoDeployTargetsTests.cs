using DevMentor.Core.Builds;
using DevMentor.Core.Deployments;

namespace DevMentor.Core.Tests.Deployments;

public sealed class AutoDeployTargetsTests
{
    private static readonly DeployEnvironment OnMain = new("staging", DeployType.Local, ["node", "s.js"], When: new StepCondition(["main"], null));
    private static readonly DeployEnvironment OnPush = new("preview", DeployType.Local, ["node", "s.js"], When: new StepCondition(null, [BuildEvent.Push]));
    private static readonly DeployEnvironment ByHand = new("production", DeployType.Webhook, Url: new Uri("https://hooks.example.com/x"));

    private static DeployableRun Run(string branch, string trigger = "manual", bool deploy = false, string? environment = null, params DeployEnvironment[] environments) =>
        new(Guid.NewGuid(), Guid.NewGuid(), 1, "succeeded", trigger, branch, "abc", deploy, environment, environments, null, null);

    [Fact]
    public void Environments_whose_when_matches_the_branch_and_event_deploy()
    {
        Assert.Equal(["staging", "preview"], AutoDeployer.Targets(Run("main", "push", environments: [OnMain, OnPush, ByHand])).Targets.Select(e => e.Name));
        Assert.Equal(["staging"], AutoDeployer.Targets(Run("main", "manual", environments: [OnMain, OnPush, ByHand])).Targets.Select(e => e.Name));
        Assert.Empty(AutoDeployer.Targets(Run("feature", "pull_request", environments: [OnMain, OnPush, ByHand])).Targets);
    }

    [Fact]
    public void Deploy_true_adds_the_named_environment_or_the_only_one_and_says_why_when_neither_applies()
    {
        Assert.Equal(["production"], AutoDeployer.Targets(Run("dev", deploy: true, environment: "production", environments: [OnMain, ByHand])).Targets.Select(e => e.Name));
        Assert.Equal(["production"], AutoDeployer.Targets(Run("dev", deploy: true, environments: [ByHand])).Targets.Select(e => e.Name));
        Assert.Equal(["staging"], AutoDeployer.Targets(Run("main", deploy: true, environment: "staging", environments: [OnMain, ByHand])).Targets.Select(e => e.Name));

        var (targets, outcome) = AutoDeployer.Targets(Run("dev", deploy: true, environment: "qa", environments: [OnMain, ByHand]));
        Assert.Empty(targets);
        Assert.Contains("'qa'", outcome, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_json_is_read_whatever_the_enum_spelling_and_unreadable_entries_are_left_out()
    {
        const string json = """
            [
              {"name":"staging","type":"Local","start":["node","s.js"],"healthPath":"/health","port":8080,"healthTimeoutSeconds":9,"when":{"branches":["main"],"events":["push","pull_request",3]},"env":{"A":"1"}},
              {"name":"production","type":1,"url":"https://hooks.example.com/x","secretRef":"HOOK"},
              {"name":"broken","type":"ftp"},
              {"type":"local"}
            ]
            """;

        var environments = DeployEnvironmentJson.Parse(json);

        Assert.Equal(["staging", "production"], environments.Select(e => e.Name));
        var staging = environments[0];
        Assert.Equal((DeployType.Local, "/health", 8080, 9), (staging.Type, staging.HealthPath, staging.Port, staging.HealthTimeoutSeconds));
        Assert.Equal(["node", "s.js"], staging.Start!);
        Assert.Equal([BuildEvent.Push, BuildEvent.PullRequest, BuildEvent.Manual], staging.When!.Events!);
        Assert.Equal("1", staging.Env!["A"]);
        Assert.Equal((DeployType.Webhook, "HOOK"), (environments[1].Type, environments[1].SecretRef));
        Assert.Empty(DeployEnvironmentJson.Parse("not json"));
        Assert.Empty(DeployEnvironmentJson.Parse("{}"));
    }

    [Fact]
    public void The_webhook_signature_is_hmac_sha256_of_the_body_in_hex()
    {
        // The example from GitHub's webhook documentation.
        Assert.Equal("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
            WebhookTarget.Sign("Hello, World!"u8.ToArray(), "It's a Secret to Everybody"));
    }
}
