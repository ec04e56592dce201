using System.Net;
using DevMentor.Functions.Tests.Infrastructure;
using Npgsql;

namespace DevMentor.Functions.Tests.Webhooks;

public sealed class WebhookCrashRecoveryTests
{
    [Fact]
    public async Task A_delivery_answered_by_a_process_killed_before_processing_is_processed_after_restart()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("webhook_crash");
        var workDir = Directory.CreateTempSubdirectory("webhook-crash-").FullName;
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = connectionString,
            ["GitHub__WebhookSecret"] = GitHubFixtures.Secret,
            ["Scheduler__Enabled"] = "false",
            // Holds the first process in the window between answering and processing.
            ["Webhooks__ProcessOnReceipt"] = "false",
        };

        await using (var first = ServiceProcess.Start(workDir, environment))
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            using var response = await first.Client.SendAsync(GitHubFixtures.Delivery("issues", GitHubFixtures.Payload("issues.opened.payload.json"), "crash-delivery"));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            first.Kill();
            await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        }

        Assert.Equal("received", await StatusAsync(connectionString));

        environment.Remove("Webhooks__ProcessOnReceipt");
        await using var second = ServiceProcess.Start(workDir, environment);
        await second.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? status;
        // Claimed ('processing') is not done yet: the first delivery after a start also pays for loading the payload types.
        while ((status = await StatusAsync(connectionString)) is "received" or "processing" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        // No project tracks the fixture's repository, so processing ends in 'ignored' with that reason.
        Assert.Equal("ignored", status);
    }

    private static async Task<string?> StatusAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT status FROM webhook_deliveries WHERE delivery_id = 'crash-delivery'", connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}
