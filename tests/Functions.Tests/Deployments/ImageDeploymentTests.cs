using System.Diagnostics;
using DevMentor.Core.Builds.Images;
using DevMentor.Core.Deployments;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Deployments;

/// <summary>A run that kept no artifacts but pushed an image: the local release runs the image with buildah (no container engine).</summary>
public sealed class ImageDeploymentTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private DeploymentTestKit _kit = null!;
    private RegistryOptions _registry = null!;

    public async Task InitializeAsync()
    {
        var registry = await TestRegistry.SharedAsync();
        _registry = new RegistryOptions(new Uri($"http://{TestRegistry.Host(registry)}/deploy"), null, null, PipelineTestKit.NewScratchDirectory("deploy-buildah"));
        _kit = await DeploymentTestKit.StartAsync("imagedeploy");
        await _kit.App.DisposeAsync();
        _kit.Registry = (_registry.Url!.ToString(), _registry.StorageRoot);
        _kit.App = await _kit.StartAppAsync();
    }

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    /// <summary>A FROM scratch image with a static busybox serving /www: what the image step pushes for a Containerfile.</summary>
    private async Task<string> PushWebImageAsync(Guid projectId, string page)
    {
        var workspace = PipelineTestKit.NewScratchDirectory("web-image");
        var busybox = new[] { "/bin/busybox", "/usr/bin/busybox" }.First(File.Exists);
        Directory.CreateDirectory(Path.Combine(workspace, "www"));
        File.Copy(busybox, Path.Combine(workspace, "busybox"));
        File.WriteAllText(Path.Combine(workspace, "www", "index.html"), page);
        File.WriteAllText(Path.Combine(workspace, "Containerfile"), "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\n");
        var definition = new PipelineDefinition([new StepDefinition("image", [], Uses: "image")]);
        var step = new ClaimedStep(Guid.NewGuid(), Guid.NewGuid(), projectId, 1, "image", 0, 1, 600, DateTimeOffset.UtcNow, "main", null, definition);
        var log = new List<string>();
        var result = await new ImageBuildStep(_registry, NullLogger<ImageBuildStep>.Instance).RunAsync(
            new BuiltInStepContext(step, workspace, null!, log.Add, new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")!, ["HOME"] = "/root" }),
            CancellationToken.None);
        Assert.True(result.Kind == StepResultKind.Succeeded, string.Join('\n', log));
        return result.Outputs!["image"];
    }

    private static object WebEnvironment() => new
    {
        name = "web",
        type = "local",
        // The start command is the user's: here it asks for a shell inside the image to put PORT into httpd's arguments.
        start = new[] { "/bin/busybox", "sh", "-c", "exec /bin/busybox httpd -f -p 127.0.0.1:$PORT -h /www" },
        healthPath = "/index.html",
        healthTimeoutSeconds = 20,
    };

    private static async Task<string?> GetAsync(string url)
    {
        try
        {
            return await Http.GetStringAsync(url);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static string Containers(RegistryOptions registry)
    {
        var info = new ProcessStartInfo("buildah", ["--root", registry.StorageRoot, "--runroot", registry.StorageRoot + "-run", "--storage-driver", "vfs", "containers", "--format", "{{.ContainerName}}"])
        {
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    [Fact]
    public async Task A_run_with_only_an_image_is_released_by_running_the_image_and_the_replaced_container_is_removed()
    {
        var project = await _kit.CreateProjectAsync();
        var first = await _kit.RunAsync(project, new[] { WebEnvironment() }, image: await PushWebImageAsync(project, "image-one"));

        var one = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "web", first.RunId)).GetProperty("statusUri").GetString()!);
        Assert.True(one.GetProperty("status").GetString() == "current", one.ToString());
        var oneUrl = one.GetProperty("url").GetString()!;
        Assert.Equal("image-one", await GetAsync(oneUrl + "index.html"));
        Assert.Contains(ImageReleases.Container(one.GetProperty("deploymentId").GetGuid()), Containers(_registry), StringComparison.Ordinal);

        var second = await _kit.RunAsync(project, new[] { WebEnvironment() }, image: await PushWebImageAsync(project, "image-two"));
        var two = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "web", second.RunId)).GetProperty("statusUri").GetString()!);
        Assert.True(two.GetProperty("status").GetString() == "current", two.ToString());
        Assert.Equal("image-two", await GetAsync(two.GetProperty("url").GetString() + "index.html"));
        Assert.True(await DeploymentTestKit.StopsAnsweringAsync(oneUrl + "index.html"));
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (Containers(_registry).Contains(ImageReleases.Container(one.GetProperty("deploymentId").GetGuid()), StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.DoesNotContain(ImageReleases.Container(one.GetProperty("deploymentId").GetGuid()), Containers(_registry), StringComparison.Ordinal);
    }
}
