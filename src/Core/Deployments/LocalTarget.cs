using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DevMentor.Core.Builds;
using DevMentor.Core.Pipelines.Artifacts;

namespace DevMentor.Core.Deployments;

/// <summary>
/// The <c>local</c> target: the run's artifacts restored into a fresh release folder, the start
/// command run there on a loopback port (PORT), made current only once its health URL answers 2xx.
/// </summary>
public sealed class LocalTarget(DeploymentOptions options, LocalReleases releases, IArtifactStore? artifacts, ImageReleases? images = null) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };

    public void Dispose() => _http.Dispose();

    public async Task<DeploymentResult> DeployAsync(Deployment deployment, DeployEnvironment environment, DeployableRun run, Deployment? current, CancellationToken cancellationToken)
    {
        if (environment.Start is not { Count: > 0 })
        {
            return DeploymentResult.Failed($"environment '{environment.Name}' has no start command");
        }

        var kept = artifacts is null ? [] : await artifacts.ListAsync(deployment.RunId, cancellationToken);
        var image = kept.Count == 0 && run.Image is { Length: > 0 } pushed && images?.Available(HostEnvironment()) == true ? pushed : null;
        if (kept.Count == 0 && image is null)
        {
            return DeploymentResult.Failed($"run {deployment.RunNumber} kept no artifacts to deploy (declare them with 'artifacts' in .devmentor.yml) and pushed no image buildah could run");
        }

        var directory = Path.Combine(options.ReleasesRoot, deployment.ProjectId.ToString("D"), environment.Name, deployment.Id.ToString("D"));
        if (Directory.Exists(directory))
        {
            // An attempt a crash interrupted: its release may still run there.
            releases.StopLeftIn(directory);
            Directory.Delete(directory, recursive: true);
        }

        Directory.CreateDirectory(directory);
        if (image is not null)
        {
            ImageReleases.Mark(directory, image);
        }

        foreach (var artifact in kept)
        {
            if (!await RestoreAsync(artifacts!, deployment.RunId, artifact.Name, directory, cancellationToken))
            {
                return DeploymentResult.Failed($"artifact '{artifact.Name}' could not be restored", releaseDirectory: directory);
            }
        }

        // A fixed port can serve one release at a time: the current one steps aside and comes back if the new one fails.
        var port = environment.Port ?? FreePort();
        var steppedAside = environment.Port is not null && current is { Port: { } p } && p == environment.Port;
        if (steppedAside)
        {
            releases.Stop(current!.Id, current.Pid, current.ReleaseDirectory);
        }

        DeploymentResult result;
        try
        {
            result = await LaunchAsync(deployment.Id, directory, port, environment, cancellationToken);
        }
        catch (OperationCanceledException) when (steppedAside && current!.ReleaseDirectory is { } stepAsideDirectory)
        {
            // Stopped (a cancel of its run, ADR 0044): the release that stepped aside serves again.
            await LaunchAsync(current.Id, stepAsideDirectory, port, environment, CancellationToken.None);
            throw;
        }

        if (!result.Succeeded && steppedAside && current!.ReleaseDirectory is { } previousDirectory)
        {
            await LaunchAsync(current.Id, previousDirectory, port, environment, cancellationToken);
        }

        return result;
    }

    /// <summary>Starts a release that is already on disk and waits for its health check; stops it again when that fails.</summary>
    public async Task<DeploymentResult> LaunchAsync(Guid deploymentId, string directory, int port, DeployEnvironment environment, CancellationToken cancellationToken)
    {
        var host = HostEnvironment();
        var image = ImageReleases.ImageOf(directory);
        var variables = image is null ? new Dictionary<string, string>(host, StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in environment.Env ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }

        variables["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        variables["DEVMENTOR_ENVIRONMENT"] = environment.Name;
        variables["DEVMENTOR_DEPLOYMENT_ID"] = deploymentId.ToString("D");

        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        IReadOnlyList<string> argv = environment.Start!;
        Action? cleanup = null;
        if (image is not null)
        {
            if (images is null)
            {
                return DeploymentResult.Failed($"the release runs the image {image}, but no registry is configured", releaseDirectory: directory, port: port);
            }

            var (inContainer, error) = await images.PrepareAsync(deploymentId, image, directory, environment, variables, host, cancellationToken);
            if (inContainer is null)
            {
                return DeploymentResult.Failed(error!, releaseDirectory: directory, port: port);
            }

            // The container sees only the variables passed with --env; buildah itself gets the host's allow-list.
            argv = inContainer;
            variables = new Dictionary<string, string>(host, StringComparer.Ordinal);
            cleanup = () => images.Remove(deploymentId, directory, host);
        }

        int pid;
        try
        {
            pid = releases.Start(deploymentId, directory, argv, variables, cleanup);
        }
        catch (FileNotFoundException e)
        {
            return DeploymentResult.Failed(e.Message, releaseDirectory: directory, port: port);
        }

        bool healthy;
        string health;
        try
        {
            (healthy, health) = await WaitHealthyAsync(deploymentId, url + environment.HealthPath, environment, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopped while it warmed up (a cancel, or the service stops): the process must not outlive the attempt.
            releases.Stop(deploymentId);
            throw;
        }

        if (!healthy)
        {
            releases.Stop(deploymentId);
            return DeploymentResult.Failed($"the release failed its health check: {health}", health, directory, port);
        }

        return new DeploymentResult(true, directory, port, url + "/", pid, true, health, null);
    }

    private Dictionary<string, string> HostEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in options.PassEnvironment)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                variables[name] = value;
            }
        }

        return variables;
    }

    private async Task<(bool Healthy, string Health)> WaitHealthyAsync(Guid deploymentId, string url, DeployEnvironment environment, CancellationToken cancellationToken)
    {
        var timeout = environment.HealthTimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.DefaultHealthTimeout;
        var clock = Stopwatch.StartNew();
        var last = "no answer";
        while (true)
        {
            if (releases.ExitCode(deploymentId) is { } exit)
            {
                return (false, $"the process exited with code {exit} before {environment.HealthPath} answered 2xx");
            }

            try
            {
                using var response = await _http.GetAsync(url, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return (true, $"GET {environment.HealthPath} answered {(int)response.StatusCode} after {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
                }

                last = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (HttpRequestException e)
            {
                last = e.HttpRequestError == HttpRequestError.ConnectionError ? "connection refused" : e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "no answer within 2 s";
            }

            if (clock.Elapsed >= timeout)
            {
                return (false, $"GET {environment.HealthPath} gave no 2xx within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (last: {last})");
            }

            await Task.Delay(options.HealthPollInterval, cancellationToken);
        }
    }

    private static async Task<bool> RestoreAsync(IArtifactStore store, Guid runId, string name, string directory, CancellationToken cancellationToken)
    {
        var target = Path.GetFullPath(Path.Combine(directory, name));
        if (Path.IsPathRooted(name) || !target.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return false;
        }

        if (await store.OpenAsync(runId, name, cancellationToken) is not { } opened)
        {
            return false;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        await using (var content = opened.Content)
        await using (var file = new FileStream(target, FileMode.CreateNew, FileAccess.Write))
        {
            await content.CopyToAsync(file, cancellationToken);
        }

        // Artifacts carry no file modes: scripts and native programs (a #! line or ELF) get their execute bit back.
        var head = new byte[4];
        await using (var check = File.OpenRead(target))
        {
            _ = await check.ReadAtLeastAsync(head, 4, throwOnEndOfStream: false, cancellationToken);
        }

        if ((head[0] == '#' && head[1] == '!') || (head[0] == 0x7f && head[1] == 'E' && head[2] == 'L' && head[3] == 'F'))
        {
            File.SetUnixFileMode(target, File.GetUnixFileMode(target) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute);
        }

        return true;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
