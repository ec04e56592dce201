using StackExchange.Redis;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// A test's own connection to Redis (a single node or a cluster), independent of the service's:
/// to read raw keys where they live (the library follows the cluster's redirections) and to
/// administer the servers behind the service's back (lock clients out, count keys per node).
/// </summary>
public sealed class RedisAdmin : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _multiplexer;

    private RedisAdmin(ConnectionMultiplexer multiplexer) => _multiplexer = multiplexer;

    public IDatabase Database => _multiplexer.GetDatabase();

    public IConnectionMultiplexer Multiplexer => _multiplexer;

    public static async Task<RedisAdmin> ConnectAsync(string configuration, string? password = null)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AllowAdmin = true;
        options.ClientName = "devmentor-tests";
        options.AbortOnConnectFail = true; // the test's own view must be there, or the test fails loudly
        options.ConnectTimeout = 10_000;
        options.SyncTimeout = options.AsyncTimeout = 10_000;
        options.Password = password ?? options.Password;
        return new RedisAdmin(await ConnectionMultiplexer.ConnectAsync(options));
    }

    public static Task<RedisAdmin> ConnectAsync(ChildServer server, string? password = null) => ConnectAsync(TestRedis.ConnectionString(server), password);

    public async Task<string?> GetAsync(string key) => await Database.StringGetAsync(key);

    /// <summary>Milliseconds to live; -1 without expiry, -2 when the key does not exist (as PTTL says).</summary>
    public async Task<long> TimeToLiveMsAsync(string key) => (long)await Database.ExecuteAsync("PTTL", key);

    /// <summary>The primaries: one for a single node, every master of a cluster.</summary>
    public IServer[] Primaries => [.. _multiplexer.GetServers().Where(s => !s.IsReplica)];

    /// <summary>Keys matching <paramref name="pattern"/> on each primary, by endpoint.</summary>
    public async Task<Dictionary<string, List<string>>> KeysByNodeAsync(string pattern)
    {
        var result = new Dictionary<string, List<string>>();
        foreach (var server in Primaries)
        {
            var keys = new List<string>();
            await foreach (var key in server.KeysAsync(pattern: pattern))
            {
                keys.Add(key!);
            }

            result[server.EndPoint.ToString()!] = keys;
        }

        return result;
    }

    /// <summary>Runs a command on every primary (CONFIG SET, CLIENT KILL …).</summary>
    public async Task OnEveryNodeAsync(string command, params object[] arguments)
    {
        foreach (var server in Primaries)
        {
            await server.ExecuteAsync(command, arguments);
        }
    }

    public async ValueTask DisposeAsync() => await _multiplexer.DisposeAsync();
}
