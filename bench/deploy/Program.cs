using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DevMentor.Core.Builds;
using DevMentor.Core.Pipelines.Artifacts;
using DevMentor.Core.Builds.Images;
using DevMentor.Core.Deployments;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;
using Microsoft.Extensions.Logging.Abstractions;

// Each case alternates the measured code and its baseline, repetition by repetition, so outside
// load hits both alike; medians are printed with their ratio.
var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var scratch = Directory.CreateTempSubdirectory("devmentor-bench-deploy-").FullName;
var registryPort = FreePort();
using var registry = StartRegistry(scratch, registryPort);
try
{
    await WaitForPortAsync(registryPort);
    var context = Path.Combine(scratch, "context");
    Directory.CreateDirectory(context);
    File.WriteAllText(Path.Combine(context, "Containerfile"), "FROM scratch\nCOPY payload.bin /payload.bin\n");
    File.WriteAllBytes(Path.Combine(context, "payload.bin"), RandomNumberGenerator(4 * 1024 * 1024));

    var options = new RegistryOptions(new Uri($"http://127.0.0.1:{registryPort}/bench"), null, null, Path.Combine(scratch, "storage"));
    var step = new ImageBuildStep(options, NullLogger<ImageBuildStep>.Instance);
    var environment = new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")!, ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root" };
    var stepTimes = new List<double>();
    var plainTimes = new List<double>();
    for (var i = 1; i <= repetitions; i++)
    {
        var definition = new PipelineDefinition([new StepDefinition("image", [], Uses: "image")]);
        var claimed = new ClaimedStep(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), i, "image", 0, 1, 600, DateTimeOffset.UtcNow, "main", $"{i:x40}", definition);
        var clock = Stopwatch.StartNew();
        var result = await step.RunAsync(new BuiltInStepContext(claimed, context, null!, _ => { }, environment), CancellationToken.None);
        stepTimes.Add(clock.Elapsed.TotalMilliseconds);
        if (result.Kind != StepResultKind.Succeeded)
        {
            throw new InvalidOperationException("image step failed: " + result.Error);
        }

        clock.Restart();
        await PlainBuildahAsync(options, context, $"127.0.0.1:{registryPort}/plain/app", i, scratch);
        plainTimes.Add(clock.Elapsed.TotalMilliseconds);
    }

    Report("image step (build + 2 tags pushed + local copy removed)", stepTimes, "plain buildah bud/push/push/rmi", plainTimes);

    var release = Path.Combine(scratch, "release");
    Directory.CreateDirectory(release);
    File.WriteAllText(Path.Combine(release, "server.js"), """
        require('http').createServer((req, res) => { res.writeHead(200); res.end('ok'); }).listen(Number(process.env.PORT), '127.0.0.1');
        """);
    var deployOptions = new DeploymentOptions { ReleasesRoot = Path.Combine(scratch, "releases"), HealthPollInterval = TimeSpan.FromMilliseconds(50) };
    using var releases = new LocalReleases(deployOptions, NullLogger<LocalReleases>.Instance);
    using var target = new LocalTarget(deployOptions, releases, (IArtifactStore?)null);
    var env = new DeployEnvironment("bench", DeployType.Local, ["node", "server.js"], "/");
    var launchTimes = new List<double>();
    var bareTimes = new List<double>();
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    for (var i = 0; i < repetitions; i++)
    {
        var id = Guid.NewGuid();
        var clock = Stopwatch.StartNew();
        var launched = await target.LaunchAsync(id, release, FreePort(), env, CancellationToken.None);
        launchTimes.Add(clock.Elapsed.TotalMilliseconds);
        releases.Stop(id);
        if (!launched.Succeeded)
        {
            throw new InvalidOperationException("launch failed: " + launched.Error);
        }

        clock.Restart();
        var port = FreePort();
        using (var bare = Process.Start(new ProcessStartInfo("node", "server.js") { WorkingDirectory = release, Environment = { ["PORT"] = port.ToString(CultureInfo.InvariantCulture) } })!)
        {
            while (true)
            {
                try
                {
                    using var response = await http.GetAsync($"http://127.0.0.1:{port}/");
                    if (response.IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(50);
            }

            bareTimes.Add(clock.Elapsed.TotalMilliseconds);
            bare.Kill(entireProcessTree: true);
            bare.WaitForExit();
        }
    }

    Report("local release start + health check (LocalTarget.LaunchAsync)", launchTimes, "bare node start + poll", bareTimes);
}
finally
{
    registry.Kill(entireProcessTree: true);
    registry.WaitForExit();
    Directory.Delete(scratch, recursive: true);
}

static void Report(string name, List<double> times, string baselineName, List<double> baseline)
{
    var median = Median(times);
    var baseMedian = Median(baseline);
    Console.WriteLine(FormattableString.Invariant($"{name}: median {median:0} ms over {times.Count}; {baselineName}: median {baseMedian:0} ms; ratio {median / baseMedian:0.00}"));
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

static async Task PlainBuildahAsync(RegistryOptions options, string context, string repository, int number, string scratch)
{
    var storage = new[] { "--root", options.StorageRoot, "--runroot", options.StorageRoot + "-run", "--storage-driver", "vfs" };
    var id = Path.Combine(scratch, "plain-id");
    await RunAsync(storage.Concat(["bud", "--isolation", "chroot", "--iidfile", id, "-f", Path.Combine(context, "Containerfile"), "-t", $"{repository}:a{number}", "-t", $"{repository}:run-{number}", context]));
    await RunAsync(storage.Concat(["push", "--digestfile", Path.Combine(scratch, "plain-digest"), "--tls-verify=false", $"{repository}:a{number}", $"docker://{repository}:a{number}"]));
    await RunAsync(storage.Concat(["push", "--digestfile", Path.Combine(scratch, "plain-digest"), "--tls-verify=false", $"{repository}:run-{number}", $"docker://{repository}:run-{number}"]));
    await RunAsync(storage.Concat(["rmi", "-f", File.ReadAllText(id).Trim()]));
}

static async Task RunAsync(IEnumerable<string> arguments)
{
    var info = new ProcessStartInfo("buildah") { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var argument in arguments)
    {
        info.ArgumentList.Add(argument);
    }

    using var process = Process.Start(info)!;
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEndAsync();
    await process.WaitForExitAsync();
    if (process.ExitCode != 0)
    {
        throw new InvalidOperationException($"buildah {string.Join(' ', info.ArgumentList)}: {await error}");
    }

    _ = await output;
}

static Process StartRegistry(string scratch, int port)
{
    var config = Path.Combine(scratch, "registry.yml");
    File.WriteAllText(config, FormattableString.Invariant($"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {scratch}/registry\nhttp:\n  addr: 127.0.0.1:{port}\n"));
    return Process.Start(new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
}

static async Task WaitForPortAsync(int port)
{
    for (var i = 0; i < 100; i++)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return;
        }
        catch (SocketException)
        {
            await Task.Delay(100);
        }
    }

    throw new InvalidOperationException("docker-registry did not start");
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static byte[] RandomNumberGenerator(int size)
{
    var bytes = new byte[size];
    new Random(42).NextBytes(bytes);
    return bytes;
}
