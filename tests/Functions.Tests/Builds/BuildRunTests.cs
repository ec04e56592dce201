using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using DevMentor.Core.Pipelines;
using DevMentor.Functions.Tests.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>
/// Real builds through the service and its embedded runner: clone → plan → install/test/build
/// with the machine's own toolchains, test results, artifacts and logs read back over the API.
/// </summary>
public sealed class BuildRunTests(BuildRunFixture fixture) : IClassFixture<BuildRunFixture>
{
    private static readonly TimeSpan NodeBuild = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Node_sample_is_cloned_planned_tested_and_its_package_kept_as_an_artifact()
    {
        var project = await fixture.CreateProjectAsync(fixture.Samples.Node);
        var status = await fixture.StartBuildAsync(project);

        var run = await fixture.WaitForEndAsync(status, NodeBuild);

        Assert.True(run.GetProperty("status").GetString() == "succeeded", run.ToString());
        Assert.Equal(["clone", "install", "test", "build", "package"], BuildRunFixture.StepNames(run));
        var clone = BuildRunFixture.Step(run, "clone");
        Assert.Equal(fixture.Samples.Node.HeadSha, clone.GetProperty("outputs").GetProperty("commit").GetString());
        Assert.Equal(fixture.Samples.Node.HeadSha, run.GetProperty("commit").GetString()); // started for the branch, pinned to what clone checked out
        var cloneLog = await fixture.TextAsync($"{status}/steps/clone/logs");
        Assert.Contains("[devmentor] detected node: ", cloneLog, StringComparison.Ordinal);
        Assert.Contains("(package-lock.json)", cloneLog, StringComparison.Ordinal);
        Assert.Contains("planned: install → test → build → package", cloneLog, StringComparison.Ordinal);
        Assert.Contains("$ npm ci", await fixture.TextAsync($"{status}/steps/install/logs"), StringComparison.Ordinal);

        // Exact counts from node:test's JUnit output, in the run view and the results list.
        var summary = run.GetProperty("tests");
        Assert.Equal((SampleRepositories.NodePassing, 0, 0),
            (summary.GetProperty("passed").GetInt32(), summary.GetProperty("failed").GetInt32(), summary.GetProperty("skipped").GetInt32()));
        using (var tests = await fixture.SendAsync(HttpMethod.Get, $"{status}/tests?limit=2"))
        {
            var page = await BuildRunFixture.JsonAsync(tests);
            Assert.Equal(3, page.GetProperty("passed").GetInt32());
            Assert.Equal(["adds numbers", "greets"], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
            var next = page.GetProperty("nextCursor").GetString();
            using var second = await fixture.SendAsync(HttpMethod.Get, $"{status}/tests?limit=2&cursor={next}");
            var rest = (await BuildRunFixture.JsonAsync(second)).GetProperty("items").EnumerateArray().Single();
            Assert.Equal(("edge cases", "adds negatives", "passed", "test"),
                (rest.GetProperty("suite").GetString(), rest.GetProperty("name").GetString(), rest.GetProperty("outcome").GetString(), rest.GetProperty("step").GetString()));
        }

        // The package: listed with its SHA-256 and size, downloaded with the same bytes.
        const string Package = ".devmentor-out/packages/devmentor-sample-node-1.0.0.tgz";
        using var list = await fixture.SendAsync(HttpMethod.Get, $"{status}/artifacts");
        var artifact = (await BuildRunFixture.JsonAsync(list)).GetProperty("items").EnumerateArray().Single();
        Assert.Equal((Package, "package", "application/gzip"),
            (artifact.GetProperty("name").GetString(), artifact.GetProperty("step").GetString(), artifact.GetProperty("contentType").GetString()));
        using var download = await fixture.SendAsync(HttpMethod.Get, artifact.GetProperty("downloadUri").GetString()!);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        var bytes = await download.Content.ReadAsByteArrayAsync();
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Assert.Equal(artifact.GetProperty("sha256").GetString(), sha);
        Assert.Equal(artifact.GetProperty("size").GetInt64(), bytes.Length);
        Assert.Equal(bytes.Length, download.Content.Headers.ContentLength);
        Assert.Equal("application/gzip", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"\"{sha}\"", download.Headers.ETag!.Tag);
        Assert.False(download.Headers.ETag.IsWeak);
        Assert.Equal([0x1f, 0x8b], bytes[..2]); // gzip, as npm pack writes it

        using var again = await fixture.SendAsync(HttpMethod.Get, artifact.GetProperty("downloadUri").GetString()!, configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", $"\"{sha}\""));
        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
        using var unknown = await fixture.SendAsync(HttpMethod.Get, $"{status}/artifacts/.devmentor-out/packages/nope.tgz");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType!.MediaType);
        // Encoded slashes: plain dot segments never reach the service (clients and Kestrel fold them away).
        using var traversal = await fixture.SendAsync(HttpMethod.Get, $"{status}/artifacts/..%2F..%2F..%2Fetc%2Fpasswd");
        Assert.Equal(HttpStatusCode.BadRequest, traversal.StatusCode);
        Assert.Contains("'..'", await traversal.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var badOutcome = await fixture.SendAsync(HttpMethod.Get, $"{status}/tests?outcome=maybe");
        Assert.Equal(HttpStatusCode.BadRequest, badOutcome.StatusCode);

        // A retry runs the pinned steps again; clone does not plan a second time.
        using var retry = await fixture.SendAsync(HttpMethod.Post, $"{status}/retry");
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var retried = await fixture.WaitForEndAsync((await BuildRunFixture.JsonAsync(retry)).GetProperty("statusUri").GetString()!, NodeBuild);
        Assert.True(retried.GetProperty("status").GetString() == "succeeded", retried.ToString());
        Assert.Equal(["clone", "install", "test", "build", "package"], BuildRunFixture.StepNames(retried));
    }

    [Fact]
    public async Task Dotnet_samples_give_exact_counts_and_a_failing_test_fails_the_run_at_the_test_step_without_retry()
    {
        // Both at once: the .NET builds are the slow ones.
        var passing = await fixture.StartBuildAsync(await fixture.CreateProjectAsync(fixture.Samples.Dotnet));
        var failing = await fixture.StartBuildAsync(await fixture.CreateProjectAsync(fixture.Samples.DotnetFailing));

        var passed = await fixture.WaitForEndAsync(passing, TimeSpan.FromMinutes(8));
        var failed = await fixture.WaitForEndAsync(failing, TimeSpan.FromMinutes(8));

        Assert.True(passed.GetProperty("status").GetString() == "succeeded", $"{passed}\n{await fixture.TextAsync($"{passing}/logs")}");
        Assert.Equal(["clone", "install", "test", "build"], BuildRunFixture.StepNames(passed));
        var summary = passed.GetProperty("tests");
        // Cobertura over the library: Add and Divide are covered, IsEven only by the failing sample's test.
        Assert.Equal((SampleRepositories.DotnetPassing, 0, 0, 66.67),
            (summary.GetProperty("passed").GetInt32(), summary.GetProperty("failed").GetInt32(), summary.GetProperty("skipped").GetInt32(), summary.GetProperty("coverage").GetDouble()));

        var test = BuildRunFixture.Step(failed, "test");
        Assert.True(failed.GetProperty("tests").ValueKind == JsonValueKind.Object, $"{failed}\n{await fixture.TextAsync($"{failing}/logs")}");
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(("failed", 1), (test.GetProperty("status").GetString(), test.GetProperty("attempt").GetInt32()));
        Assert.Equal("skipped", BuildRunFixture.Step(failed, "build").GetProperty("status").GetString());
        Assert.StartsWith("step test: ", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        var counts = failed.GetProperty("tests");
        Assert.Equal((3, 1), (counts.GetProperty("passed").GetInt32(), counts.GetProperty("failed").GetInt32()));
        using var onlyFailed = await fixture.SendAsync(HttpMethod.Get, $"{failing}/tests?outcome=failed");
        var failure = (await BuildRunFixture.JsonAsync(onlyFailed)).GetProperty("items").EnumerateArray().Single();
        Assert.Equal(("Calc.Tests.CalculatorTests", "Three_is_even", "3 should be even"),
            (failure.GetProperty("suite").GetString(), failure.GetProperty("name").GetString(), failure.GetProperty("message").GetString()));
        Assert.True(failure.GetProperty("durationMs").GetInt64() >= 0);
    }

    [Fact]
    public async Task An_invalid_devmentor_yml_fails_the_clone_step_with_line_and_column_before_anything_runs()
    {
        var status = await fixture.StartBuildAsync(await fixture.CreateProjectAsync(fixture.Samples.InvalidConfig));

        var run = await fixture.WaitForEndAsync(status, TimeSpan.FromMinutes(1));

        Assert.Equal("failed", run.GetProperty("status").GetString());
        Assert.Equal(["clone"], BuildRunFixture.StepNames(run));
        var clone = BuildRunFixture.Step(run, "clone");
        Assert.Equal(("failed", 1), (clone.GetProperty("status").GetString(), clone.GetProperty("attempt").GetInt32()));
        Assert.Contains(".devmentor.yml:3:5: unknown key 'comands'", run.GetProperty("error").GetString(), StringComparison.Ordinal);
        var log = await fixture.TextAsync($"{status}/steps/clone/logs");
        Assert.Contains(".devmentor.yml:3:5: unknown key 'comands'", log, StringComparison.Ordinal);
        Assert.DoesNotContain("npm", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configured_secret_is_redacted_a_followed_log_streams_to_the_end_and_a_timed_out_step_leaves_no_process()
    {
        var marker = ProcessTable.UniqueSleep(300);
        var repository = CustomRepository($$"""
            detect: false
            steps:
              - name: leak
                commands:
                  - [sh, -c, "echo token=$(cat secret.txt); echo env-has-secret=$(env | grep -c -- '{{BuildRunFixture.ConfiguredSecret}}')"]
              - name: slow
                commands:
                  - [sh, -c, "for i in 1 2 3 4 5; do echo tick $i; sleep 0.4; done"]
              - name: hang
                timeout: 2s
                commands:
                  - [sh, -c, "sleep {{marker}} & sleep {{marker}} & sleep {{marker}}"]
              - name: docs
                when: {branches: [release]}
                commands:
                  - [echo, never]
            deploy:
              environments:
                - name: staging
                  type: local
                  start: node server.js
                  health: /health
            """, ("secret.txt", BuildRunFixture.ConfiguredSecret + "\n"));
        var status = await fixture.StartBuildAsync(await fixture.CreateProjectAsync(repository));

        // Follow the slow step from before it starts until it ends: the stream closes by itself.
        var followed = await FollowWhenPlannedAsync(status, "slow");
        var run = await fixture.WaitForEndAsync(status, TimeSpan.FromMinutes(1));

        Assert.Contains("tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n", followed, StringComparison.Ordinal);
        var leak = await fixture.TextAsync($"{status}/steps/leak/logs");
        Assert.Contains("token=***", leak, StringComparison.Ordinal);
        Assert.Contains("env-has-secret=0", leak, StringComparison.Ordinal);
        Assert.DoesNotContain(BuildRunFixture.ConfiguredSecret, leak, StringComparison.Ordinal);

        // The clone step left out the step for another branch and handed the deploy settings on.
        Assert.Equal(["clone", "leak", "slow", "hang"], BuildRunFixture.StepNames(run));
        Assert.Contains("left out docs: its when does not match branch main", await fixture.TextAsync($"{status}/steps/clone/logs"), StringComparison.Ordinal);
        using (var deploy = JsonDocument.Parse(BuildRunFixture.Step(run, "clone").GetProperty("outputs").GetProperty("deploy.environments").GetString()!))
        {
            var staging = deploy.RootElement.EnumerateArray().Single();
            Assert.Equal(("staging", "Local", "/health"), (staging.GetProperty("name").GetString(), staging.GetProperty("type").GetString(), staging.GetProperty("healthPath").GetString()));
            Assert.Equal(["node", "server.js"], staging.GetProperty("start").EnumerateArray().Select(a => a.GetString()));
        }

        Assert.Equal("timed_out", run.GetProperty("status").GetString());
        Assert.Equal("timed_out", BuildRunFixture.Step(run, "hang").GetProperty("status").GetString());
        await ProcessTable.WaitUntilGoneAsync(marker, TimeSpan.FromSeconds(10));
        Assert.Empty(ProcessTable.WithArgument(marker));
    }

    [Fact]
    public async Task A_step_using_an_unknown_built_in_fails_with_a_message_naming_it_and_what_the_runner_has()
    {
        var engine = fixture.App.Services.GetRequiredService<PipelineEngine>();
        var run = await engine.StartAsync(Guid.NewGuid(), new PipelineDefinition([new StepDefinition("publish", [], Uses: "no-such-step"), new StepDefinition("after", [["true"]])]));

        var view = await engine.WaitForEndAsync(run, TimeSpan.FromSeconds(30));

        Assert.Equal(RunStatus.Failed, view.Status);
        Assert.Equal((StepStatus.Failed, 1, 1), (view.Steps[0].Status, view.Steps[0].ExitCode, view.Steps[0].Attempt));
        Assert.StartsWith("unknown built-in step 'no-such-step' (this runner has: ", view.Steps[0].Error, StringComparison.Ordinal);
        Assert.Contains("clone", view.Steps[0].Error, StringComparison.Ordinal);
        Assert.Equal(StepStatus.Skipped, view.Steps[1].Status);
    }

    private async Task<string> FollowWhenPlannedAsync(string status, string step)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await fixture.SendAsync(HttpMethod.Get, $"{status}/steps/{step}/logs?follow=true");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                return await response.Content.ReadAsStringAsync(timeout.Token);
            }

            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, $"step {step} never appeared");
            await Task.Delay(100);
        }
    }

    private SampleRepository CustomRepository(string devmentorYml, params (string Path, string Content)[] files)
    {
        var path = Path.Combine(fixture.Samples.Root, "custom-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(path);
        GitCli.Run(path, "init", "--quiet");
        File.WriteAllText(Path.Combine(path, ".devmentor.yml"), devmentorYml);
        foreach (var (relative, content) in files)
        {
            File.WriteAllText(Path.Combine(path, relative), content);
        }

        var sha = GitCli.CommitAll(path, "custom sample");
        return new SampleRepository(Path.GetFileName(path), path, "main", [sha]);
    }
}
