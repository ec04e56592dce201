using DevMentor.Core.Caching;
using OpenTelemetry.Instrumentation.StackExchangeRedis;
using StackExchange.Redis;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Redis spans come from OpenTelemetry.Instrumentation.StackExchangeRedis (served as a beta; it reads
/// the library's profiling sessions). Our multiplexer is created lazily, after the tracer provider,
/// so it is handed to the instrumentation when <see cref="RedisConnection"/> creates it.
/// </summary>
public sealed class RedisTracing(IServiceProvider services) : IRedisConnectionObserver
{
    public void Created(IConnectionMultiplexer multiplexer) =>
        services.GetService<StackExchangeRedisInstrumentation>()?.AddConnection(multiplexer);
}
