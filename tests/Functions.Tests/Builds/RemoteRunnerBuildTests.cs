using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>
/// The real executable without embedded workers and a DevMentor.Runner process: the clone step's
/// plan, the test results and the artifacts all travel through the runner API.
/// </summary>
public sealed class RemoteRunnerBuildTests(SampleRepositories samples) : IClassFixture<SampleRepositories>
{
    private const string RegistrationToken = "remote-build-registration-token-42";
    private const string AdminKey = "remote-build-admin-key-0123456789abcdef";

    [Fact]
    public async Task A_remote_runner_builds_the_node_sample_with_its_plan_tests_and_artifact_sent_over_the_runner_api_and_pushes_the_container_sample()
    {
        var scratch = PipelineTestKit.NewScratchDirectory("remote-build");
        await using var service = ServiceProcess.Start(scratch, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("remotebuild"),
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(scratch, "data"),
            ["Pipelines__Runner__Enabled"] = "false",
            ["Pipelines__PollIntervalSeconds"] = "0.1",
            ["Runners__RegistrationToken"] = RegistrationToken,
            ["Auth__BootstrapApiKey"] = AdminKey,
        });
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        var registry = $"http://{TestRegistry.Host(await TestRegistry.SharedAsync())}/remote";
        await using var runner = RunnerProcess.Start(service.BaseAddress, RegistrationToken, "remote-builder", Path.Combine(scratch, "runner"), 1,
            $"--Registry:Url={registry}", $"--Registry:StorageRoot={Path.Combine(scratch, "buildah")}");
        service.Client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);

        var run = await BuildAsync(service, runner, samples.Node);
        Assert.True(run.GetProperty("status").GetString() == "succeeded", $"{run}\n{runner.Output}");
        Assert.Equal(["clone", "install", "test", "build", "package"], BuildRunFixture.StepNames(run));
        Assert.Equal(3, run.GetProperty("tests").GetProperty("passed").GetInt32());
        var artifacts = await service.Client.GetFromJsonAsync<JsonElement>(run.GetProperty("artifactsUri").GetString());
        var artifact = artifacts.GetProperty("items").EnumerateArray().Single();
        var bytes = await service.Client.GetByteArrayAsync(artifact.GetProperty("downloadUri").GetString());
        Assert.Equal(artifact.GetProperty("sha256").GetString(), Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));

        // The image step is one of the runner's built-in steps too, with the runner's Registry:* settings.
        var container = await BuildAsync(service, runner, samples.Container);
        Assert.True(container.GetProperty("status").GetString() == "succeeded", $"{container}\n{runner.Output}");
        var outputs = BuildRunFixture.Step(container, "image").GetProperty("outputs");
        var reference = outputs.GetProperty("image").GetString()!;
        Assert.StartsWith(registry["http://".Length..], reference, StringComparison.Ordinal);
        Assert.Equal(outputs.GetProperty("digest").GetString(), TestRegistry.Inspect(reference).Digest);
    }

    private static async Task<JsonElement> BuildAsync(ServiceProcess service, RunnerProcess runner, SampleRepository repository)
    {
        using var created = await service.Client.PostAsJsonAsync("/projects", new
        {
            name = "remote-" + repository.Name,
            visibility = "private",
            repository = new { provider = "git", cloneUrl = repository.FileUrl, defaultBranch = "main" },
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var project = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var started = await service.Client.PostAsync($"/projects/{project}/build", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var status = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusUri").GetString()!;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var run = await service.Client.GetFromJsonAsync<JsonElement>(status);
            if (run.GetProperty("status").GetString() is "succeeded" or "failed" or "timed_out" or "canceled")
            {
                return run;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the build did not end: {run}\n{runner.Output}");
            await Task.Delay(250);
        }
    }
}
