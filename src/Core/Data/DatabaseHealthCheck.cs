using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace DevMentor.Core.Data;

/// <summary>Readiness: the database answers a trivial query within two seconds.</summary>
public sealed class DatabaseHealthCheck(Database database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await using var command = database.DataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy(database.Description);
        }
        catch (InvalidOperationException e) when (!timeout.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy(e.Message);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException)
        {
            // Pooled connections to a server that went away are dead; drop them so recovery is immediate.
            database.DataSource.Clear();
            return HealthCheckResult.Unhealthy($"{database.Description}: {(e is OperationCanceledException ? "no answer within 2 s" : e.Message)}");
        }
    }
}
