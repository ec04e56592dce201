using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// A real 3-node Redis Cluster (three primaries, no replicas, as the platform blueprint runs it) on
/// free loopback ports: three <c>redis-server --cluster-enabled yes</c> children, each with its
/// scratch directory and nodes.conf under the test run's directory, joined by
/// <c>redis-cli --cluster create</c>. One is shared by the tests that leave it alone; a test that
/// stops a node starts its own.
/// </summary>
public sealed class TestRedisCluster : IAsyncDisposable
{
    private static readonly Lazy<Task<TestRedisCluster>> Shared = new(() => StartAsync("common"));

    private TestRedisCluster(IReadOnlyList<ChildServer> nodes) => Nodes = nodes;

    public IReadOnlyList<ChildServer> Nodes { get; }

    /// <summary>Every node as a seed: the service's ConnectionStrings:Redis for this cluster.</summary>
    public string ConnectionString => string.Join(",", Nodes.Select(n => $"127.0.0.1:{n.Port}"));

    public static Task<TestRedisCluster> SharedAsync() => Shared.Value;

    /// <param name="nodeTimeout">
    /// cluster-node-timeout: how long a silent node takes to be marked failing. Generous for the shared
    /// cluster (a busy machine must not fail a healthy node), short where a test kills one.
    /// </param>
    public static async Task<TestRedisCluster> StartAsync(string name, TimeSpan? nodeTimeout = null)
    {
        var timeout = ((int)(nodeTimeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        // The cluster bus port of each node, chosen free once per client port, so a node restarted on
        // its port is found on the same bus port its peers remember (a free port + 10000 may be neither
        // free nor below 65536).
        var busPorts = new ConcurrentDictionary<int, int>();
        var nodes = new List<ChildServer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                nodes.Add(await TestRedis.StartServerAsync($"{name}-cluster{i}", (port, directory) =>
                [
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", Path.Combine(directory, "nodes.conf"),
                    "--cluster-node-timeout", timeout,
                    "--cluster-port", busPorts.GetOrAdd(port, _ => ChildServer.FreePort()).ToString(CultureInfo.InvariantCulture),
                ]));
            }

            var cluster = new TestRedisCluster(nodes);
            await cluster.CreateAsync();
            await cluster.WaitUntilOkAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Waits until every node says cluster_state:ok and knows all three primaries.</summary>
    public async Task WaitUntilOkAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var states = "";
        while (watch.Elapsed < timeout)
        {
            states = string.Join("; ", await Task.WhenAll(Nodes.Select(n => ClusterInfoAsync(n.Port))));
            if (states.Split("; ").All(s => s.Contains("cluster_state:ok", StringComparison.Ordinal) && s.Contains("cluster_known_nodes:3", StringComparison.Ordinal)))
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The Redis Cluster is not ok after {timeout}: {states}");
    }

    /// <summary>What a node's CLUSTER INFO says (cluster_state, cluster_known_nodes), or why it could not be asked.</summary>
    public static async Task<string> ClusterInfoAsync(int port)
    {
        try
        {
            // Asked of that one node: its own view of the cluster.
            var options = new ConfigurationOptions { EndPoints = { { "127.0.0.1", port } }, AllowAdmin = true, ConnectTimeout = 2000, AsyncTimeout = 2000, SyncTimeout = 2000 };
            await using var single = await ConnectionMultiplexer.ConnectAsync(options);
            var info = (string?)await single.GetServer("127.0.0.1", port).ExecuteAsync("CLUSTER", "INFO") ?? "";
            return string.Join(" ", info.Split('\n').Select(l => l.Trim()).Where(l => l.Contains("cluster_state:", StringComparison.Ordinal) || l.Contains("cluster_known_nodes:", StringComparison.Ordinal)));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return $"127.0.0.1:{port}: {e.GetType().Name}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }
    }

    private async Task CreateAsync()
    {
        var cli = new[] { "/usr/bin/redis-cli", "/usr/local/bin/redis-cli" }.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("redis-cli is not installed: run scripts/install-prereqs.sh.");
        var info = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "--cluster", "create" }.Concat(Nodes.Select(n => $"127.0.0.1:{n.Port}")).Concat(["--cluster-replicas", "0", "--cluster-yes"]))
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create failed ({process.ExitCode}): {await output}\n{await error}");
        }
    }
}
