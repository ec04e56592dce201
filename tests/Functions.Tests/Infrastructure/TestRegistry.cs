using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// One local docker-registry (installed by scripts/install-prereqs.sh) per test run on a free
/// loopback port, plain http, its storage under <see cref="TestPostgres.ScratchRoot"/>.
/// A missing docker-registry fails the tests that need it.
/// </summary>
public static class TestRegistry
{
    private static readonly Lazy<Task<ChildServer>> Shared = new(StartAsync);

    public static Task<ChildServer> SharedAsync() => Shared.Value;

    public static string Host(ChildServer server) => $"127.0.0.1:{server.Port}";

    /// <summary>`skopeo inspect` of a pushed reference: its manifest digest and tags.</summary>
    public static (string Digest, IReadOnlyList<string> Tags) Inspect(string reference)
    {
        var info = new ProcessStartInfo("skopeo") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "inspect", "--tls-verify=false", "docker://" + reference })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"skopeo inspect {reference} exited with {process.ExitCode}: {error}");
        }

        using var json = JsonDocument.Parse(output);
        return (json.RootElement.GetProperty("Digest").GetString()!,
            json.RootElement.GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()!).ToList());
    }

    private static Task<ChildServer> StartAsync()
    {
        var executable = new[] { "/usr/bin/docker-registry", "/usr/local/bin/docker-registry" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("docker-registry is not installed: run scripts/install-prereqs.sh.");
        var directory = Path.Combine(TestPostgres.ScratchRoot, "registry-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(directory);
        return ChildServer.StartAsync("docker-registry", port =>
        {
            var config = Path.Combine(directory, $"config-{port.ToString(CultureInfo.InvariantCulture)}.yml");
            File.WriteAllText(config, $"""
                version: 0.1
                log:
                  level: error
                storage:
                  filesystem:
                    rootdirectory: {directory}/data
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}
                """);
            var info = new ProcessStartInfo(executable) { WorkingDirectory = directory };
            info.ArgumentList.Add("serve");
            info.ArgumentList.Add(config);
            return info;
        }, TimeSpan.FromSeconds(30));
    }
}
