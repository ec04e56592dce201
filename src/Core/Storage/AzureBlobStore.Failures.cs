using Azure;

namespace DevMentor.Core.Storage;

public sealed partial class AzureBlobStore
{
    /// <summary>
    /// Runs one SDK call (its retries included) and turns its failures into the port's exceptions:
    /// 404 <see cref="BlobNotFoundException"/>, 403 <see cref="BlobAccessDeniedException"/> with
    /// what to check, anything else a <see cref="BlobStoreException"/> naming the operation, the
    /// blob and the endpoint. A caller's cancellation stays a cancellation.
    /// </summary>
    private async Task<T> RunAsync<T>(string operation, string? key, Func<Task<T>> call, CancellationToken cancellationToken, bool rangeNotSatisfiable = false)
    {
        try
        {
            return await call();
        }
        catch (RequestFailedException e) when (rangeNotSatisfiable && e.Status == 416)
        {
            throw new RangeNotSatisfiable();
        }
        catch (RequestFailedException e)
        {
            throw Failure(operation, key, e);
        }
        catch (AggregateException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The SDK's retry policy gave up on connection failures: it aggregates one exception per attempt.
            var last = e.InnerExceptions.LastOrDefault()?.Message ?? e.Message;
            throw new BlobStoreException($"{Description} did not answer {operation} of {Target(key)} after {_options.MaxRetries + 1} attempts: {FirstLine(last)}", innerException: e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BlobStoreException($"{Description} did not answer {operation} of {Target(key)} within {_options.NetworkTimeout.TotalSeconds:0} s.", innerException: e);
        }
    }

    private BlobStoreException Failure(string operation, string? key, RequestFailedException e)
    {
        var code = e.ErrorCode;
        var status = e.Status;
        var message = $"Azure Blob Storage {operation} of {Target(key)} ({Description}) failed: {(status == 0 ? "no answer" : status.ToString(System.Globalization.CultureInfo.InvariantCulture))} {code ?? ""} ({FirstLine(e.Message)})";
        return status switch
        {
            403 => new BlobAccessDeniedException(message + ". " + (_account()?.ConnectionString is not null
                ? "Check the account key or the SAS (its permissions: read, add, create, write, delete, list; its expiry) in AzureWebJobsStorage."
                : "The identity needs the 'Storage Blob Data Contributor' role on the account or the container."), code),
            404 => new BlobNotFoundException(message + ".", code),
            _ => new BlobStoreException(message + ".", status == 0 ? null : status, code, e),
        };
    }

    private string Target(string? key) => key is null ? $"container '{_options.Container}'" : $"'{key}'";

    /// <summary>The SDK's messages carry the response's headers and body after the first line; only the first is shown.</summary>
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
