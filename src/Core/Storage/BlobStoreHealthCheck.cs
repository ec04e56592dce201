using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DevMentor.Core.Storage;

/// <summary>Readiness: the blob store can be used (its container answers, or is created), within three seconds.</summary>
public sealed class BlobStoreHealthCheck(IBlobStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            return HealthCheckResult.Healthy(await store.CheckHealthAsync(timeout.Token));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, $"{store.Description}: no answer within 3 s");
        }
        catch (Exception e) when (e is BlobStoreException or IOException or UnauthorizedAccessException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, e.Message);
        }
    }
}
