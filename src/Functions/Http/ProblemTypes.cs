namespace DevMentor.Functions.Http;

/// <summary>Stable problem+json <c>type</c> URIs: clients switch on these, so they never change.</summary>
public static class ProblemTypes
{
    private const string Base = "https://devmentor.dev/problems/";

    public const string BadRequest = Base + "bad-request";
    public const string ValidationFailed = Base + "validation-failed";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string NotFound = Base + "not-found";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string Conflict = Base + "conflict";
    public const string PreconditionFailed = Base + "precondition-failed";
    public const string PreconditionRequired = Base + "precondition-required";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string Unprocessable = Base + "unprocessable";
    public const string TooManyRequests = Base + "too-many-requests";
    public const string Internal = Base + "internal";
    public const string Unavailable = Base + "unavailable";

    public static string ForStatus(int status) => status switch
    {
        400 => BadRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        412 => PreconditionFailed,
        413 => PayloadTooLarge,
        428 => PreconditionRequired,
        415 => UnsupportedMediaType,
        422 => Unprocessable,
        429 => TooManyRequests,
        503 => Unavailable,
        _ when status >= 500 => Internal,
        _ => BadRequest,
    };
}
