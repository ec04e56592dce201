using DevMentor.Core.Builds.Images;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Builds.Images;

/// <summary>The "image" built-in step with the real buildah and a real local registry, checked with skopeo.</summary>
public sealed class ImageBuildStepTests(SampleRepositories samples) : IClassFixture<SampleRepositories>, IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("devmentor-image-test-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private RegistryOptions Options(string host, string? username = null, string? password = null, string buildah = "buildah") =>
        new(new Uri($"http://{host}/samples"), username, password, Path.Combine(_scratch, "storage"), buildah);

    private static (BuiltInStepContext Context, List<string> Log) Context(string workspace, string? commit, int runNumber, IReadOnlyDictionary<string, string> with)
    {
        var definition = new PipelineDefinition([new StepDefinition("clone", []), new StepDefinition("image", [], Uses: "image", With: with)]);
        var step = new ClaimedStep(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), runNumber, "image", 1, 1, 600, DateTimeOffset.UtcNow.AddMinutes(1), "main", commit, definition);
        var log = new List<string>();
        var environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")!, ["HOME"] = "/root" };
        return (new BuiltInStepContext(step, workspace, null!, line => { lock (log) { log.Add(line); } }, environment), log);
    }

    [Fact]
    public async Task Container_sample_is_built_tagged_and_pushed_with_the_recorded_digest()
    {
        var registry = await TestRegistry.SharedAsync();
        var options = Options(TestRegistry.Host(registry), "deployer", "s3cret-registry-password");
        var (context, log) = Context(samples.Container.Path, samples.Container.HeadSha, 7, new Dictionary<string, string> { ["file"] = "Containerfile", ["context"] = ".", ["tags"] = "latest, stable" });

        var result = await new ImageBuildStep(options, NullLogger<ImageBuildStep>.Instance).RunAsync(context, CancellationToken.None);

        Assert.True(result.Kind == StepResultKind.Succeeded, $"{result.Error}\n{string.Join('\n', log)}");
        var repository = options.RepositoryFor(context.Step.ProjectId)!;
        Assert.Equal($"{repository}:{samples.Container.HeadSha}", result.Outputs!["image"]);
        Assert.Matches("^sha256:[0-9a-f]{64}$", result.Outputs["digest"]);
        var (digest, tags) = TestRegistry.Inspect(result.Outputs["image"]);
        Assert.Equal(result.Outputs["digest"], digest);
        Assert.Equal(new[] { "latest", "run-7", samples.Container.HeadSha, "stable" }.Order(), tags.Order());
        Assert.Equal(digest, TestRegistry.Inspect($"{repository}:run-7").Digest);
        Assert.Contains(log, l => l.Contains("COPY hello.txt", StringComparison.Ordinal));
        Assert.DoesNotContain(log, l => l.Contains("s3cret-registry-password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Missing_buildah_fails_the_step_naming_the_tool()
    {
        var (context, log) = Context(samples.Container.Path, samples.Container.HeadSha, 1, new Dictionary<string, string>());

        var result = await new ImageBuildStep(Options("127.0.0.1:1", buildah: "/nonexistent/buildah"), NullLogger<ImageBuildStep>.Instance).RunAsync(context, CancellationToken.None);

        Assert.Equal(StepResultKind.Failed, result.Kind);
        Assert.Equal(127, result.ExitCode);
        Assert.Contains("buildah", result.Error, StringComparison.Ordinal);
        Assert.Contains(log, l => l.Contains("not installed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("file", "../outside/Containerfile")]
    [InlineData("context", "/etc")]
    [InlineData("file", "missing/Containerfile")]
    public async Task Paths_outside_the_workspace_or_missing_fail_before_buildah_runs(string key, string value)
    {
        var (context, log) = Context(samples.Container.Path, samples.Container.HeadSha, 1, new Dictionary<string, string> { [key] = value });

        var result = await new ImageBuildStep(Options("127.0.0.1:1"), NullLogger<ImageBuildStep>.Instance).RunAsync(context, CancellationToken.None);

        Assert.Equal(StepResultKind.Failed, result.Kind);
        Assert.Contains("workspace", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(log, l => l.StartsWith("$ buildah", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_registry_is_an_infrastructure_error_so_the_step_is_retried()
    {
        var (context, log) = Context(samples.Container.Path, samples.Container.HeadSha, 2, new Dictionary<string, string>());

        // Port 9 (discard) on loopback: nothing listens there.
        var result = await new ImageBuildStep(Options("127.0.0.1:9"), NullLogger<ImageBuildStep>.Instance).RunAsync(context, CancellationToken.None);

        Assert.Equal(StepResultKind.InfrastructureError, result.Kind);
        Assert.Contains("push", result.Error, StringComparison.Ordinal);
    }
}
