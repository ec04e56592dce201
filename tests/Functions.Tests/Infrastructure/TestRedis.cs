using System.Diagnostics;
using System.Globalization;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// Throwaway redis-server instances (installed by scripts/install-prereqs.sh): one shared per test
/// run, and private ones for tests that stop and restart theirs. No persistence; loopback only.
/// </summary>
public static class TestRedis
{
    private static readonly Lazy<Task<ChildServer>> Shared = new(() => StartAsync("common"));

    public static Task<ChildServer> SharedAsync() => Shared.Value;

    public static string ConnectionString(ChildServer server) => $"127.0.0.1:{server.Port}";

    /// <summary>A private instance; stop and start it at will, dispose it at the end.</summary>
    public static Task<ChildServer> StartAsync(string name) => StartServerAsync(name, (_, _) => []);

    /// <summary>
    /// A redis-server on a free loopback port with its own scratch directory under the test run's
    /// (which the sweep in scripts/test.sh keys on); <paramref name="extraArguments"/> gets the port
    /// and that directory.
    /// </summary>
    internal static Task<ChildServer> StartServerAsync(string name, Func<int, string, IEnumerable<string>> extraArguments)
    {
        var executable = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("redis-server is not installed: run scripts/install-prereqs.sh.");
        var directory = Path.Combine(TestPostgres.ScratchRoot, $"redis-{name}-{Guid.NewGuid().ToString("N")[..6]}");
        Directory.CreateDirectory(directory);
        return ChildServer.StartAsync("redis-server " + name, port =>
        {
            var info = new ProcessStartInfo(executable) { WorkingDirectory = directory };
            // set-proc-title no keeps the command line (with --dir) visible, which the sweep in scripts/test.sh keys on.
            foreach (var argument in new[]
                     {
                         "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no",
                         "--dir", directory, "--set-proc-title", "no", "--daemonize", "no", "--loglevel", "warning",
                     }.Concat(extraArguments(port, directory)))
            {
                info.ArgumentList.Add(argument);
            }

            return info;
        }, TimeSpan.FromSeconds(30));
    }
}
