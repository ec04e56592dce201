using System.Runtime.CompilerServices;
using Azure.Core;
using Azure.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Storage;

/// <summary>
/// Runs once per attempt inside the SDK's retry loop: logs each retried answer (method, path and
/// status; never the query, which may carry a SAS) and counts attempts for callers that need to
/// know whether a request went out more than once (an append whose answer was lost).
/// </summary>
internal sealed partial class BlobRetryLogPolicy(ILogger logger) : HttpPipelinePolicy
{
    public const string AttemptsProperty = "devmentor.blob.attempts";

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        await ProcessNextAsync(message, pipeline);
        LogIfRetried(message);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Count(message);
        ProcessNext(message, pipeline);
        LogIfRetried(message);
    }

    private static void Count(HttpMessage message)
    {
        if (message.TryGetProperty(AttemptsProperty, out var counter) && counter is StrongBox<int> box)
        {
            Interlocked.Increment(ref box.Value);
        }
    }

    private void LogIfRetried(HttpMessage message)
    {
        if (message.HasResponse && message.ResponseClassifier.IsRetriableResponse(message))
        {
            var code = message.Response.Headers.TryGetValue("x-ms-error-code", out var c) ? c : "";
            LogRetriable(logger, message.Request.Method.ToString(), message.Request.Uri.Path, message.Response.Status, code ?? "", message.ProcessingContext.RetryNumber + 1);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob request {Method} {Path} answered {Status} {ErrorCode} (attempt {Attempt}); the SDK retries with backoff")]
    private static partial void LogRetriable(ILogger logger, string method, string path, int status, string errorCode, int attempt);
}
