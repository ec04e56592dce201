namespace DevMentor.Core.Storage;

/// <summary>A blob store operation failed; the message says which, where, and what the store answered.</summary>
public class BlobStoreException : Exception
{
    public BlobStoreException(string message, int? statusCode = null, string? errorCode = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
    }

    public BlobStoreException()
    {
    }

    public BlobStoreException(string message) : base(message)
    {
    }

    public BlobStoreException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>The HTTP status the remote store answered, when there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>The store's own error code (Azure's x-ms-error-code), when there was one.</summary>
    public string? ErrorCode { get; }
}

/// <summary>The blob (or its container) does not exist (HTTP 404).</summary>
public sealed class BlobNotFoundException : BlobStoreException
{
    public BlobNotFoundException(string message, string? errorCode = null) : base(message, 404, errorCode)
    {
    }

    public BlobNotFoundException()
    {
    }

    public BlobNotFoundException(string message) : base(message, 404)
    {
    }

    public BlobNotFoundException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>The store refused the credentials or the operation (HTTP 403).</summary>
public sealed class BlobAccessDeniedException : BlobStoreException
{
    public BlobAccessDeniedException(string message, string? errorCode = null) : base(message, 403, errorCode)
    {
    }

    public BlobAccessDeniedException()
    {
    }

    public BlobAccessDeniedException(string message) : base(message, 403)
    {
    }

    public BlobAccessDeniedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>A key that breaks <see cref="BlobKey"/>'s rules (it could escape the store's root, or Azure would refuse it).</summary>
public sealed class InvalidBlobKeyException : ArgumentException
{
    public InvalidBlobKeyException(string key, string reason)
        : base($"'{Printable(key)}' is not a valid blob key: {reason}.", nameof(key))
    {
        Reason = reason;
    }

    public InvalidBlobKeyException()
    {
        Reason = "";
    }

    public InvalidBlobKeyException(string message) : base(message)
    {
        Reason = message;
    }

    public InvalidBlobKeyException(string message, Exception innerException) : base(message, innerException)
    {
        Reason = message;
    }

    public string Reason { get; }

    private static string Printable(string key)
    {
        var shown = key.Length > 200 ? key[..200] + "…" : key;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
