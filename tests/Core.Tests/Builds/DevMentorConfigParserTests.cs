using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Config;

namespace DevMentor.Core.Tests.Builds;

public sealed class DevMentorConfigParserTests
{
    private const string Full = """
        version: 1
        steps:
          - name: install
            timeout: 20m
          - name: lint
            commands:
              - npm run lint -- --max-warnings 0
              - [node, "scripts/check links.js"]
            env:
              NODE_ENV: test
              EMPTY: ""
            retries: 2
            when:
              branches: [main, "release/**"]
              events: [push, manual]
            artifacts: [reports/lint.json]
          - name: package
            skip: true
        artifacts:
          - dist/**
        image:
          file: docker/Containerfile
          context: docker
          tags: [latest, v1.2]
        deploy:
          environments:
            - name: staging
              type: local
              start: node server.js --port 8080
              health: /health
              port: 8080
              health_timeout: 30s
              when:
                branches: main
            - name: production
              type: webhook
              url: https://deploy.example.com/hook
              secret: DEPLOY_HOOK_SECRET
              approval: required
              approvers: [owner, maintainer]
              approval_timeout: 2h
              deploy_timeout: 15m
        """;

    [Fact]
    public void Parses_every_section()
    {
        var config = DevMentorConfigParser.Parse(Full);

        Assert.True(config.Detect);
        Assert.Equal(["install", "lint", "package"], config.Steps.Select(s => s.Name));
        Assert.Equal(1200, config.Steps[0].TimeoutSeconds);
        Assert.Null(config.Steps[0].Commands);
        var lint = config.Steps[1];
        Assert.Equal(["npm", "run", "lint", "--", "--max-warnings", "0"], lint.Commands![0]);
        Assert.Equal(["node", "scripts/check links.js"], lint.Commands[1]);
        Assert.Equal("test", lint.Env!["NODE_ENV"]);
        Assert.Equal("", lint.Env["EMPTY"]);
        Assert.Equal(2, lint.Retries);
        Assert.Equal(["main", "release/**"], lint.When!.Branches);
        Assert.Equal([BuildEvent.Push, BuildEvent.Manual], lint.When.Events);
        Assert.Equal(["reports/lint.json"], lint.Artifacts);
        Assert.True(config.Steps[2].Skip);
        Assert.Equal(["dist/**"], config.Artifacts);
        Assert.Equal(("docker/Containerfile", "docker", false), (config.Image!.File, config.Image.Context, config.Image.Disabled));
        Assert.Equal(["latest", "v1.2"], config.Image.Tags);

        var staging = config.Deploy[0];
        Assert.Equal(DeployType.Local, staging.Type);
        Assert.Equal(["node", "server.js", "--port", "8080"], staging.Start);
        Assert.Equal("/health", staging.HealthPath);
        Assert.Equal(8080, staging.Port);
        Assert.Equal(30, staging.HealthTimeoutSeconds);
        Assert.True(staging.When!.Matches("main", BuildEvent.Push));
        Assert.False(staging.When.Matches("dev", BuildEvent.Push));
        var production = config.Deploy[1];
        Assert.Equal(DeployType.Webhook, production.Type);
        Assert.Equal(new Uri("https://deploy.example.com/hook"), production.Url);
        Assert.Equal("DEPLOY_HOOK_SECRET", production.SecretRef);
        Assert.Equal(["owner", "maintainer"], production.Approval!.Approvers);
        Assert.Equal(7200, production.Approval.TimeoutSeconds);
        Assert.Equal(900, production.DeployTimeoutSeconds);
        Assert.Null(staging.Approval);
        Assert.Null(staging.DeployTimeoutSeconds);
    }

    [Fact]
    public void Approval_required_alone_means_maintainers_within_a_day()
    {
        var config = DevMentorConfigParser.Parse("deploy:\n  environments:\n    - name: p\n      type: webhook\n      url: https://x.example/h\n      approval: required\n");

        Assert.Equal(["maintainer"], config.Deploy[0].Approval!.Approvers);
        Assert.Equal(86_400, config.Deploy[0].Approval!.TimeoutSeconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    [InlineData("---\n")]
    public void An_empty_file_is_the_empty_config(string yaml) => Assert.Same(DevMentorConfig.Empty, DevMentorConfigParser.Parse(yaml));

    [Fact]
    public void Image_false_disables_the_image_and_detect_false_turns_detection_off()
    {
        var config = DevMentorConfigParser.Parse("detect: false\nimage: false\n");
        Assert.False(config.Detect);
        Assert.True(config.Image!.Disabled);
    }

    public static TheoryData<string, int, int, string> Invalid => new()
    {
        // unknown keys at every level, with the position of the key itself
        { "stpes: []\n", 1, 1, "unknown key 'stpes' in the top level" },
        { "steps:\n  - name: a\n    comands: [make]\n", 3, 5, "Did you mean 'commands'?" },
        { "steps:\n  - name: a\n    commands: [make]\n    when:\n      branch: main\n", 5, 7, "unknown key 'branch' in when" },
        { "image:\n  file: Containerfile\n  tag: [x]\n", 3, 3, "unknown key 'tag' in image" },
        { "deploy:\n  environments:\n    - name: s\n      type: local\n      start: x\n      helth: /h\n", 6, 7, "unknown key 'helth'" },
        { "deploy:\n  envs: []\n", 2, 3, "unknown key 'envs' in deploy" },
        // wrong types
        { "steps: build\n", 1, 8, "steps: expected a list, found 'build'" },
        { "steps:\n  - build\n", 2, 5, "a step: expected a mapping" },
        { "steps:\n  - name: a\n    commands: make\n", 3, 15, "commands: expected a list" },
        { "steps:\n  - name: a\n    commands:\n      - {run: make}\n", 4, 9, "each command is a string" },
        { "steps:\n  - name: a\n    commands: [make]\n    env: [A=1]\n", 4, 10, "env: expected a mapping" },
        { "steps:\n  - name: a\n    commands: [make]\n    env:\n      1BAD: x\n", 5, 7, "not a valid variable name" },
        { "steps:\n  - name: a\n    commands: [make]\n    env:\n      A: {b: c}\n", 5, 10, "env.A: expected a string" },
        { "steps:\n  - name: a\n    commands: [make]\n    retries: many\n", 4, 14, "retries: expected a whole number" },
        { "steps:\n  - name: a\n    commands: [make]\n    retries: 11\n", 4, 14, "retries: must be from 0 to 10" },
        { "detect: yes please\n", 1, 9, "detect: expected true or false" },
        { "version: 2\n", 1, 10, "version: must be from 1 to 1" },
        { "deploy:\n  environments:\n    - name: s\n      type: local\n      start: x\n      port: 70000\n", 6, 13, "port: must be from 1 to 65535" },
        { "deploy:\n  environments:\n    - name: s\n      type: local\n      start: x\n      approval: maybe\n", 6, 17, "'maybe' is not an approval mode" },
        { "deploy:\n  environments:\n    - name: s\n      type: local\n      start: x\n      approval: required\n      approvers: [developer]\n", 7, 18, "'developer' may not approve deployments" },
        { "deploy:\n  environments:\n    - name: s\n      type: local\n      start: x\n      approvers: owner\n", 6, 18, "approvers: applies only with approval: required" },
        // bad durations
        { "steps:\n  - name: a\n    commands: [make]\n    timeout: 10 minutes\n", 4, 14, "'10 minutes' is not a duration" },
        { "steps:\n  - name: a\n    commands: [make]\n    timeout: 5d\n", 4, 14, "'5d' is not a duration" },
        { "steps:\n  - name: a\n    commands: [make]\n    timeout: 0\n", 4, 14, "from 1 second to 24 hours" },
        { "steps:\n  - name: a\n    commands: [make]\n    timeout: 25h\n", 4, 14, "from 1 second to 24 hours" },
        { "steps:\n  - name: a\n    commands: [make]\n    timeout: -5\n", 4, 14, "is not a duration" },
        // values
        { "steps:\n  - commands: [make]\n", 2, 5, "a step needs a name" },
        { "steps:\n  - name: clone\n    commands: [make]\n", 2, 11, "'clone' is a built-in step" },
        { "steps:\n  - name: has space\n    commands: [make]\n", 2, 11, "name: 1-64 letters" },
        { "steps:\n  - name: a\n    commands: [make]\n  - name: a\n    commands: [make]\n", 4, 5, "step 'a' appears twice" },
        { "steps:\n  - name: a\n    commands:\n      - npm ci && npm test\n", 4, 9, "'&&' is a shell operator" },
        { "steps:\n  - name: a\n    commands:\n      - echo 'unterminated\n", 4, 9, "unterminated single quote" },
        { "steps:\n  - name: a\n    commands:\n      - []\n", 4, 9, "needs at least the program name" },
        { "steps:\n  - name: a\n    commands: [make]\n    when:\n      events: [push, merge]\n", 5, 22, "'merge' is not an event" },
        { "artifacts: [../secrets]\n", 1, 13, "must be a path inside the repository" },
        { "artifacts: [/etc/passwd]\n", 1, 13, "must be a path inside the repository" },
        { "image:\n  tags: ['bad tag']\n", 2, 9, "is not a valid tag" },
        { "deploy:\n  environments:\n    - name: s\n      type: kubernetes\n", 4, 13, "'kubernetes' is not a deployment type" },
        { "deploy:\n  environments:\n    - name: s\n      type: local\n", 3, 7, "a local environment needs a start command" },
        { "deploy:\n  environments:\n    - name: s\n      type: webhook\n", 3, 7, "a webhook environment needs a url" },
        { "deploy:\n  environments:\n    - name: s\n      type: webhook\n      url: https://u:p@example.com/h\n", 5, 12, "without credentials" },
        { "deploy:\n  environments:\n    - name: s\n      type: webhook\n      url: https://x.example/h\n      port: 80\n", 6, 13, "port: does not apply to a webhook environment" },
        { "deploy:\n  environments:\n    - name: s\n      type: local\n      start: x\n      health: health\n", 6, 15, "health: a URL path starting with '/'" },
        { "deploy:\n  environments:\n    - name: s\n      type: webhook\n      url: https://x.example/h\n      secret: \"s3cr3t value!\"\n", 6, 15, "the name of a configured secret" },
        // YAML itself
        { "steps:\n\t- name: a\n", 2, 1, "invalid YAML" },
        { "steps:\n  - name: a\n    commands: [make\n", 4, 1, "invalid YAML" },
        { "steps: []\nsteps: []\n", 2, 1, "invalid YAML" },
        { "a: 1\n---\nb: 2\n", 3, 1, "only one YAML document" },
        { "- just\n- a list\n", 1, 1, "the file: expected a mapping" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_configs_fail_with_line_and_column(string yaml, int line, int column, string message)
    {
        var error = Assert.Throws<DevMentorConfigException>(() => DevMentorConfigParser.Parse(yaml));
        var problem = error.Problems.FirstOrDefault(p => p.Message.Contains(message, StringComparison.Ordinal));
        Assert.True(problem is not null, $"expected a problem containing '{message}', got: {error.Message}");
        Assert.Equal((line, column), ((int)problem.Line, (int)problem.Column));
        Assert.Contains($".devmentor.yml:{line}:{column}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_file_order()
    {
        var error = Assert.Throws<DevMentorConfigException>(() => DevMentorConfigParser.Parse("steps:\n  - name: a\n    retries: x\n    timeout: y\nbogus: 1\n"));
        Assert.Equal([3L, 4L, 5L], error.Problems.Select(p => p.Line));
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Alias_expansion_is_bounded()
    {
        // One argv list of 2000 words referenced from 90 commands in each of 50 steps: 9 million visits if expanded.
        var words = string.Join(", ", Enumerable.Repeat("w", 2000));
        var refs = string.Join(", ", Enumerable.Repeat("*argv", 90));
        var steps = string.Concat(Enumerable.Range(0, 50).Select(i => $"  - name: s{i}\n    commands: [{refs}]\n"));
        var yaml = $"steps:\n  - name: first\n    commands: [&argv [{words}]]\n{steps}";
        var error = Assert.Throws<DevMentorConfigException>(() => DevMentorConfigParser.Parse(yaml));
        Assert.Contains(error.Problems, p => p.Message.Contains("too many aliases", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LoadAsync_reads_the_file_from_the_workspace_and_returns_null_without_one()
    {
        var dir = Directory.CreateTempSubdirectory("devmentor-config-").FullName;
        try
        {
            Assert.Null(await DevMentorConfigParser.LoadAsync(dir, CancellationToken.None));
            await File.WriteAllTextAsync(Path.Combine(dir, ".devmentor.yml"), "steps:\n  - name: test\n    timeout: 90s\n");
            var config = await DevMentorConfigParser.LoadAsync(dir, CancellationToken.None);
            Assert.Equal(90, config!.Steps[0].TimeoutSeconds);

            await File.WriteAllTextAsync(Path.Combine(dir, ".devmentor.yml"), new string('#', (int)DevMentorConfigParser.MaxFileBytes + 1));
            var error = await Assert.ThrowsAsync<DevMentorConfigException>(() => DevMentorConfigParser.LoadAsync(dir, CancellationToken.None));
            Assert.Contains("limit", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
