using System.Net;
using System.Text.Json;
using DevMentor.Core.Data.Embedded;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Health;

public sealed class ReadinessRecoveryTests
{
    [Fact]
    public async Task Readiness_turns_503_while_the_database_is_down_and_200_when_it_is_back()
    {
        var options = new EmbeddedPostgresOptions
        {
            DataDirectory = Path.Combine(TestPostgres.ScratchRoot, "readiness-" + Guid.NewGuid().ToString("N")[..8]),
            Durable = false,
            Port = FreePort(),
        };
        var postgres = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);
        try
        {
            await using var app = await TestApp.StartAsync(postgres.ConnectionString, TestAuth.Settings());
            Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/health/ready")).StatusCode);

            await postgres.StopAsync(CancellationToken.None);

            using (var down = await app.Client.GetAsync("/health/ready"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
                Assert.Equal("10", down.Headers.GetValues("Retry-After").Single());
                using var body = JsonDocument.Parse(await down.Content.ReadAsStringAsync());
                Assert.Equal("Unhealthy", body.RootElement.GetProperty("status").GetString());
                Assert.Equal("Unhealthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
            }

            // An API call that needs the database is a 503 with Retry-After, not a 500.
            using (var list = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/projects", "alice")))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
                Assert.Equal("10", list.Headers.GetValues("Retry-After").Single());
                Assert.Equal("application/problem+json", list.Content.Headers.ContentType?.MediaType);
            }

            // Liveness does not depend on the database.
            Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/health")).StatusCode);

            postgres = await EmbeddedPostgres.StartAsync(options, NullLogger.Instance, CancellationToken.None);

            using var up = await app.Client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);
        }
        finally
        {
            await postgres.StopAsync(CancellationToken.None);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
