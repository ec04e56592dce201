using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Caching;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace DevMentor.Functions.Tests.Telemetry;

/// <summary>The StackExchange.Redis instrumentation (a beta) on our lazily created multiplexer: cache reads show as Redis spans under the request.</summary>
public sealed class RedisTracingTests
{
    [Fact]
    public async Task A_project_read_through_the_redis_cache_has_redis_spans_under_its_request_span()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var redis = await TestRedis.SharedAsync();
        var settings = TestAuth.Settings(
            ("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.Endpoint.ToString().TrimEnd('/')),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"));
        foreach (var (key, value) in RedisTesting.Settings(TestRedis.ConnectionString(redis), RedisTesting.Unique()))
        {
            settings[key] = value;
        }

        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("redis-tracing"), settings);
        using var create = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "uma", """{"name": "Traced in Redis"}"""));
        Assert.Equal(HttpStatusCode.Created, create.StatusCode);
        var id = JsonDocument.Parse(await create.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        for (var i = 0; i < 2; i++)
        {
            using var get = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{id}", "uma"));
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        // A request's span ends just after its answer reached the client: wait for both reads, not only the first export.
        bool IsRead(ReceivedSpan s) => s.Kind == 2 && s.Attributes.GetValueOrDefault("url.path") == $"/projects/{id}";
        var spans = await receiver.WaitForAsync(s => s.Any(IsRedis) && s.Count(IsRead) >= 2, TimeSpan.FromSeconds(20));

        var reads = spans.Where(IsRead).ToList();
        Assert.Equal(2, reads.Count);
        Assert.Contains(spans, s => IsRedis(s) && reads.Any(r => r.TraceId == s.TraceId));
    }

    private static bool IsRedis(ReceivedSpan span) =>
        span.Attributes.GetValueOrDefault("db.system") == "redis" || span.Attributes.GetValueOrDefault("db.system.name") == "redis";
}
