using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Images;

namespace DevMentor.Core.Deployments;

/// <summary>
/// A local release made of the run's pushed image when it kept no artifacts: buildah pulls it into
/// a working container and runs the start command inside (chroot isolation, the host's loopback
/// network, no daemon). The release folder holds only a marker naming the image, so a restart can
/// bring it back the same way.
/// </summary>
public sealed class ImageReleases(RegistryOptions registry)
{
    public const string MarkerFile = ".devmentor-image";

    public static string Container(Guid deploymentId) => "devmentor-release-" + deploymentId.ToString("N");

    public bool Available(IReadOnlyDictionary<string, string> environment) => ToolProcess.Resolve(registry.Buildah, environment) is not null;

    public static string? ImageOf(string directory)
    {
        var marker = Path.Combine(directory, MarkerFile);
        return File.Exists(marker) ? File.ReadAllText(marker).Trim() : null;
    }

    public static void Mark(string directory, string image) => File.WriteAllText(Path.Combine(directory, MarkerFile), image);

    /// <summary>Pulls the image into a fresh working container.</summary>
    /// <returns>The argv that runs <paramref name="environment"/>'s start command in it; null with the reason when the pull failed.</returns>
    public async Task<(IReadOnlyList<string>? Argv, string? Error)> PrepareAsync(
        Guid deploymentId, string image, string directory, DeployEnvironment environment, IReadOnlyDictionary<string, string> variables,
        IReadOnlyDictionary<string, string> hostEnvironment, CancellationToken cancellationToken)
    {
        var name = Container(deploymentId);
        var output = new List<string>();
        await RunAsync(["rm", name], hostEnvironment, directory, _ => { }, cancellationToken);
        var insecure = registry.Host is { } host && image.StartsWith(host + "/", StringComparison.Ordinal) && registry.Insecure;
        using var auth = registry.Username is { Length: > 0 } user && registry.Host is { } authHost ? RegistryAuthFile.Create(authHost, user, registry.Password ?? "") : null;
        var from = new List<string> { "from", "--pull", "--name", name, $"--tls-verify={(!insecure).ToString().ToLowerInvariant()}" };
        if (auth is not null)
        {
            from.AddRange(["--authfile", auth.Path]);
        }

        from.Add(image);
        if (await RunAsync(from, hostEnvironment, directory, line => output.Add(line), cancellationToken) != 0)
        {
            return (null, $"buildah could not pull {image}: {string.Join(" ", output.TakeLast(3))}");
        }

        var argv = new List<string> { registry.Buildah };
        argv.AddRange(Storage());
        argv.AddRange(["run", "--isolation", "chroot"]);
        foreach (var (key, value) in variables)
        {
            argv.AddRange(["--env", $"{key}={value}"]);
        }

        argv.Add(name);
        argv.Add("--");
        argv.AddRange(environment.Start!);
        return (argv, null);
    }

    /// <summary>Removes a release's working container (its copy of the image's files).</summary>
    public void Remove(Guid deploymentId, string directory, IReadOnlyDictionary<string, string> hostEnvironment) =>
        RunAsync(["rm", Container(deploymentId)], hostEnvironment, directory, _ => { }, CancellationToken.None).GetAwaiter().GetResult();

    private string[] Storage() => ["--root", registry.StorageRoot, "--runroot", registry.StorageRoot + "-run", "--storage-driver", "vfs"];

    private Task<int> RunAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string directory, Action<string> log, CancellationToken cancellationToken) =>
        ToolProcess.RunAsync(ToolProcess.Resolve(registry.Buildah, environment) ?? registry.Buildah, Storage().Concat(arguments), environment, directory, log, cancellationToken);
}
