using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Health;

public sealed class HealthFunctionsTests
{
    [Fact]
    public async Task Liveness_answers_healthy_without_touching_dependencies()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("liveness"));

        using var response = await app.Client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"Healthy"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readiness_reports_the_database()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("readiness"));

        using var response = await app.Client.GetAsync("/health/ready");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }
}
