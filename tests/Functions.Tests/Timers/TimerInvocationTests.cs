using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Scheduling;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Timers;

/// <summary>The Azure Functions host's side of a timer trigger: POST /{FunctionName} with {Data, Metadata}.</summary>
public sealed class TimerInvocationTests
{
    private const string HostPayload = """
        {"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}},
         "Metadata":{"sys":{"MethodName":"Housekeeping","UtcNow":"2026-11-22T10:00:00Z","RandGuid":"6c3b5d3e-3a3e-4c1e-9f3e-2c8c3e2d1a0b"}}}
        """;

    private static Task<TestApp> StartAsync(string purpose, IPAddress client) =>
        StartAsync(purpose, client, null);

    private static async Task<TestApp> StartAsync(string purpose, IPAddress client, string? connectionString) =>
        await TestApp.StartAsync(connectionString ?? await TestPostgres.CreateDatabaseAsync(purpose), configure: builder =>
            builder.Services.AddSingleton<IStartupFilter>(new RemoteAddressStartupFilter(client)));

    private static HttpRequestMessage Invocation(string body = HostPayload, bool withHeader = true, string? invocationId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/Housekeeping") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (withHeader)
        {
            request.Headers.TryAddWithoutValidation("X-Azure-Functions-InvocationId", invocationId ?? Guid.NewGuid().ToString());
        }

        return request;
    }

    [Fact]
    public async Task The_host_fires_a_timer_and_gets_outputs_logs_and_return_value()
    {
        await using var app = await StartAsync("timer_invoke", IPAddress.Loopback);

        using var response = await app.Client.SendAsync(Invocation());
        var text = await response.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JsonValueKind.Object, body.RootElement.GetProperty("Outputs").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.RootElement.GetProperty("ReturnValue").ValueKind);
        var log = Assert.Single(body.RootElement.GetProperty("Logs").EnumerateArray()).GetString();
        Assert.Contains("Housekeeping ran", log, StringComparison.Ordinal);
        Assert.Contains("past due: True", log, StringComparison.Ordinal);

        var runs = await app.Services.GetRequiredService<TimerRunStore>().ListAsync("Housekeeping", CancellationToken.None);
        var run = Assert.Single(runs);
        Assert.True(run.IsPastDue);
        Assert.Equal("succeeded", run.Outcome);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "")]
    [InlineData(true, "   ")]
    public async Task Without_an_invocation_id_the_call_is_forbidden_and_nothing_runs(bool withHeader, string? invocationId)
    {
        await using var app = await StartAsync("timer_noheader", IPAddress.Loopback);

        using var response = await app.Client.SendAsync(Invocation(withHeader: withHeader, invocationId: invocationId));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await app.Services.GetRequiredService<TimerRunStore>().ListAsync("Housekeeping", CancellationToken.None));
    }

    [Fact]
    public async Task From_ipv6_loopback_the_host_may_fire_a_timer()
    {
        await using var app = await StartAsync("timer_ipv6", IPAddress.IPv6Loopback);

        using var response = await app.Client.SendAsync(Invocation());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await app.Services.GetRequiredService<TimerRunStore>().ListAsync("Housekeeping", CancellationToken.None));
    }

    [Fact]
    public async Task From_a_non_loopback_address_the_call_is_forbidden_even_with_the_header()
    {
        await using var app = await StartAsync("timer_remote", IPAddress.Parse("10.20.30.40"));

        using var response = await app.Client.SendAsync(Invocation());

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await app.Services.GetRequiredService<TimerRunStore>().ListAsync("Housekeeping", CancellationToken.None));
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        await using var app = await StartAsync("timer_malformed", IPAddress.Loopback);

        using var response = await app.Client.SendAsync(Invocation("""{"Data": [1, 2"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Housekeeping_purges_expired_idempotency_keys_and_keeps_live_ones()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("timer_housekeeping");
        await using var app = await StartAsync("timer_housekeeping", IPAddress.Loopback, connectionString);
        var database = app.Services.GetRequiredService<DevMentor.Core.Data.Database>();
        await using (var insert = database.DataSource.CreateCommand("""
            INSERT INTO idempotency_keys (scope, key, request_hash, expires_at) VALUES
              ('projects', 'old', 'h', now() - interval '1 minute'),
              ('projects', 'live', 'h', now() + interval '1 day')
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        using var response = await app.Client.SendAsync(Invocation());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var remaining = database.DataSource.CreateCommand("SELECT string_agg(key, ',') FROM idempotency_keys");
        Assert.Equal("live", await remaining.ExecuteScalarAsync());
    }
}
