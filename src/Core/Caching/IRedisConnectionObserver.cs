using StackExchange.Redis;

namespace DevMentor.Core.Caching;

/// <summary>Wants each multiplexer <see cref="RedisConnection"/> creates, before it is used (the tracing instrumentation).</summary>
public interface IRedisConnectionObserver
{
    void Created(IConnectionMultiplexer multiplexer);
}
