using System.Text;
using System.Text.RegularExpressions;
using DevMentor.Core.Code;
using DevMentor.Core.Code.Edits;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Net.Http.Headers;

namespace DevMentor.Functions.Code;

/// <summary>
/// File writes for the code editor integration: PUT and DELETE /projects/{id}/files/{*path}?ref=&amp;message=.
/// The body of a PUT is the new content: raw bytes, or with Content-Type application/json
/// {"content": "…", "encoding": "utf-8"|"base64"}. The commit message is the <c>message</c> query
/// parameter (the same for both body forms and for DELETE, which has no body). If-Match names the
/// blob sha the client read (the ETag of GET); If-None-Match: * creates a file that must not exist.
/// </summary>
[Tags("Code")]
public sealed partial class FileWriteFunctions(FileEditService edits)
{
    /// <summary>Base64 in a JSON body is a third larger than the content it carries.</summary>
    public const long MaxBodyBytes = (FileEditService.MaxContentBytes / 3 * 4) + (64 * 1024);

    [GeneratedRegex("^(W/)?\"?(?<sha>[0-9a-fA-F]{40}|[0-9a-fA-F]{64})\"?$")]
    private static partial Regex EntityTag();

    [Function("PutFile")]
    [RequestSizeLimit(MaxBodyBytes)]
    public async Task<IResult> PutFileAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "projects/{id}/files/{*path}")] HttpRequest request, string id, string? path, CancellationToken cancellationToken)
    {
        var (edit, problem) = Parse(request, path);
        if (problem is not null)
        {
            return problem;
        }

        var (content, bodyProblem) = await ReadContentAsync(request, cancellationToken);
        if (bodyProblem is not null)
        {
            return bodyProblem;
        }

        return Answer(request, id, await edits.WriteAsync(Caller.From(request.HttpContext.User), id, edit! with { Content = content }, cancellationToken));
    }

    [Function("DeleteFile")]
    public async Task<IResult> DeleteFileAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "projects/{id}/files/{*path}")] HttpRequest request, string id, string? path, CancellationToken cancellationToken)
    {
        var (edit, problem) = Parse(request, path);
        if (problem is not null)
        {
            return problem;
        }

        if (edit!.CreateOnly)
        {
            return Invalid("If-None-Match", "A deletion names the blob sha it removes with If-Match.");
        }

        return Answer(request, id, await edits.WriteAsync(Caller.From(request.HttpContext.User), id, edit, cancellationToken));
    }

    /// <summary>The path, ref, message and precondition: what PUT and DELETE share.</summary>
    private static (FileEdit? Edit, IResult? Problem) Parse(HttpRequest request, string? rawPath)
    {
        var errors = new Dictionary<string, string[]>();
        // The server leaves %2F encoded in the path: an encoded slash means the same file (and the same checks).
        var (unescaped, pathError) = CodePaths.UnescapeStrict(rawPath ?? "");
        string? path = null;
        if (unescaped is not null)
        {
            (path, pathError) = CodePaths.NormalizeForWrite(unescaped);
        }

        if (pathError is not null)
        {
            errors["path"] = [pathError];
        }

        var branch = request.Query["ref"].ToString() is { Length: > 0 } rawRef ? rawRef : null;
        if (branch is not null && CodePaths.BranchRef(branch) is null)
        {
            errors["ref"] = ["A branch name (or refs/heads/…); writes go to branches."];
        }

        var message = request.Query["message"].ToString() is { Length: > 0 } rawMessage ? rawMessage : null;
        if (message is not null && (message.Length > FileEditService.MaxMessageLength || string.IsNullOrWhiteSpace(message) ||
                                    message.Any(c => char.IsControl(c) && c is not ('\n' or '\t' or '\r'))))
        {
            errors["message"] = [$"A commit message of at most {FileEditService.MaxMessageLength} characters, without control characters."];
        }

        if (errors.Count > 0)
        {
            return (null, OutcomeResults.Problem(Outcome<bool>.Invalid(errors)));
        }

        var ifMatch = request.Headers.IfMatch.ToString().Trim();
        var ifNoneMatch = request.Headers.IfNoneMatch.ToString().Trim();
        if (ifMatch.Length == 0 && ifNoneMatch.Length == 0)
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status428PreconditionRequired, type: ProblemTypes.PreconditionRequired, title: "Precondition required",
                detail: "Send If-Match with the file's ETag (its blob sha, from GET /projects/{id}/files/{path}), or If-None-Match: * to create a new file."));
        }

        if (ifMatch.Length > 0 && ifNoneMatch.Length > 0)
        {
            return (null, Invalid("If-Match", "Send either If-Match (replace or delete) or If-None-Match: * (create), not both."));
        }

        string? sha = null;
        if (ifMatch.Length > 0)
        {
            var match = EntityTag().Match(ifMatch);
            if (!match.Success)
            {
                return (null, Invalid("If-Match", "One ETag: the file's blob sha as GET returned it (\"<sha>\")."));
            }

            sha = match.Groups["sha"].Value.ToLowerInvariant();
        }
        else if (ifNoneMatch != "*")
        {
            return (null, Invalid("If-None-Match", "Only * (the file must not exist yet) is meaningful for a write."));
        }

        return (new FileEdit(path!, branch, null, sha, sha is null, message), null);
    }

    private static async Task<(byte[]? Content, IResult? Problem)> ReadContentAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType) && mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            var (body, problem) = await JsonRequest.ReadAsync(request, CodeJsonContext.Default.FileWriteBody, cancellationToken);
            if (problem is not null)
            {
                return (null, problem);
            }

            if (body!.Content is null)
            {
                return (null, Invalid("content", "The new content is required (\"\" for an empty file)."));
            }

            byte[] decoded;
            switch (body.Encoding ?? "utf-8")
            {
                case "utf-8":
                    decoded = Encoding.UTF8.GetBytes(body.Content);
                    break;
                case "base64":
                    try
                    {
                        decoded = Convert.FromBase64String(body.Content);
                    }
                    catch (FormatException)
                    {
                        return (null, Invalid("content", "Not valid base64."));
                    }

                    break;
                default:
                    return (null, Invalid("encoding", "utf-8 (the default) or base64."));
            }

            return decoded.Length > FileEditService.MaxContentBytes ? (null, TooLarge(decoded.Length)) : (decoded, null);
        }

        using var buffer = new MemoryStream();
        try
        {
            await request.Body.CopyToAsync(buffer, cancellationToken);
        }
        catch (BadHttpRequestException e)
        {
            return (null, TypedResults.Problem(statusCode: e.StatusCode, type: ProblemTypes.ForStatus(e.StatusCode),
                title: e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request", detail: e.Message));
        }

        return buffer.Length > FileEditService.MaxContentBytes ? (null, TooLarge(buffer.Length)) : (buffer.ToArray(), null);
    }

    private static IResult Answer(HttpRequest request, string id, Outcome<FileEditResult> outcome)
    {
        if (outcome.Value?.BlobSha is { } sha)
        {
            // On success the new content's ETag; on a 412 the current one, to read again or retry with.
            request.HttpContext.Response.Headers.ETag = $"\"{sha}\"";
        }

        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var result = outcome.Value!;
        return outcome.Kind == OutcomeKind.Created
            ? TypedResults.Created($"/projects/{Uri.EscapeDataString(id)}/files/{string.Join('/', result.Path.Split('/').Select(Uri.EscapeDataString))}", result)
            : TypedResults.Json(result, CodeJsonContext.Default.FileEditResult);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooLarge(long bytes) => TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, type: ProblemTypes.PayloadTooLarge,
        title: "Request body too large", detail: $"The content is {bytes} bytes; a file written through the API may be at most {FileEditService.MaxContentBytes}.");

    private static IResult Invalid(string field, string message) =>
        OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { [field] = [message] }));
}
