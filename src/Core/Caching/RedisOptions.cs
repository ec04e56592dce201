namespace DevMentor.Core.Caching;

/// <summary>Redis settings: ConnectionStrings:Redis and the Redis:* keys.</summary>
public sealed record RedisOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string: one endpoint for a single node
    /// (<c>cache.example.com:6380,password=…,ssl=true</c>), or several seeds of a Redis Cluster
    /// (<c>node1:6379,node2:6379,node3:6379,password=…</c>; the client discovers the other nodes and
    /// the slot map itself).
    /// </summary>
    public required string ConnectionString { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>The longest any one cache or counter operation may take before it counts as an outage.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Put in front of every key, so several services (or test runs) can share one Redis.</summary>
    public string KeyPrefix { get; init; } = "devmentor:";
}
