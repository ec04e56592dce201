using System.Globalization;
using System.Text;
using DevMentor.Core.Code;
using DevMentor.Core.Code.Dependencies;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Net.Http.Headers;

namespace DevMentor.Functions.Code;

/// <summary>
/// Synced code: the syncs of a project, the files of a commit (listing and content), its
/// dependencies and their changes, and its analysis. Viewers read; developers start syncs.
/// </summary>
[Tags("Code")]
public sealed class CodeFunctions(CodeService code)
{
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    [Function("ListSyncs")]
    public async Task<IResult> ListSyncsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/syncs")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var limit = Limit(request, 20, 100, errors);
        Guid? after = null;
        if (request.Query["cursor"].ToString() is { Length: > 0 } rawCursor)
        {
            after = Guid.TryParse(rawCursor, out var parsed) ? parsed : null;
            if (after is null)
            {
                errors["cursor"] = ["Use the nextCursor of the previous page."];
            }
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await code.ListSyncsAsync(Caller.From(request.HttpContext.User), id, after, limit, cancellationToken);
        return outcome.Succeeded ? TypedResults.Json(outcome.Value!, CodeJsonContext.Default.SyncPage) : OutcomeResults.Problem(outcome);
    }

    [Function("StartSync")]
    public async Task<IResult> StartSyncAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "projects/{id}/syncs")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var revision = request.Query["ref"].ToString() is { Length: > 0 } raw ? raw : null;
        if (revision is not null && !CodePaths.IsRevision(revision))
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(new Dictionary<string, string[]> { ["ref"] = ["A branch, tag, full ref or commit sha."] }));
        }

        var outcome = await code.StartSyncAsync(Caller.From(request.HttpContext.User), id, revision, cancellationToken);
        return outcome.Succeeded
            ? TypedResults.Accepted($"/projects/{outcome.Value!.ProjectId}/syncs", outcome.Value)
            : OutcomeResults.Problem(outcome);
    }

    [Function("ListFiles")]
    public async Task<IResult> ListFilesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/files")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var revision = Revision(request, errors);
        var (folder, pathError) = CodePaths.Normalize(query["path"].ToString(), allowRoot: true);
        if (pathError is not null)
        {
            errors["path"] = [pathError];
        }

        var recursive = false;
        if (query["recursive"].ToString() is { Length: > 0 } rawRecursive && !bool.TryParse(rawRecursive, out recursive))
        {
            errors["recursive"] = ["true or false."];
        }

        var limit = Limit(request, 100, CodeService.MaxPageSize, errors);
        var cursor = query["cursor"].ToString() is { Length: > 0 } rawCursor ? rawCursor : null;
        if (cursor is not null && (cursor.Length > CodePaths.MaxPathLength || cursor.Any(char.IsControl)))
        {
            errors["cursor"] = ["Use the nextCursor of the previous page."];
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await code.ListFilesAsync(Caller.From(request.HttpContext.User), id, revision, folder!, recursive, cursor, limit, cancellationToken);
        return outcome.Succeeded ? TypedResults.Json(outcome.Value!, CodeJsonContext.Default.FilePage) : OutcomeResults.Problem(outcome);
    }

    [Function("GetFile")]
    public async Task<IResult> GetFileAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/files/{*path}")] HttpRequest request, string id, string? path, CancellationToken cancellationToken)
    {
        var context = request.HttpContext;
        var errors = new Dictionary<string, string[]>();
        var revision = Revision(request, errors);
        // The server leaves %2F encoded in the path: an encoded slash means the same file (and the same checks).
        var (normalized, pathError) = CodePaths.Normalize(Uri.UnescapeDataString(path ?? ""), allowRoot: false);
        if (pathError is not null)
        {
            errors["path"] = [pathError];
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await code.GetFileAsync(Caller.From(context.User), id, revision, normalized!, cancellationToken);
        if (!outcome.Succeeded)
        {
            return OutcomeResults.Problem(outcome);
        }

        var blob = outcome.Value!;
        var etag = $"\"{blob.File.BlobSha}\"";
        ConditionalGet.SetValidators(context.Response, etag);
        if (ConditionalGet.IsNotModified(request, etag))
        {
            return ConditionalGet.NotModified(context.Response, etag);
        }

        var wantsJson = request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase));
        if (wantsJson)
        {
            var text = TryUtf8(blob.Content, blob.File.IsBinary);
            return TypedResults.Json(new FileContent(blob.File.Path, blob.Commit, blob.File.BlobSha!, blob.Content.Length, blob.File.Language,
                text is null ? "base64" : "utf-8", text ?? Convert.ToBase64String(blob.Content)), CodeJsonContext.Default.FileContent);
        }

        var contentType = ContentTypes.TryGetContentType(blob.File.Path, out var known) ? known
            : blob.File.IsBinary ? "application/octet-stream" : "text/plain; charset=utf-8";
        if (contentType.StartsWith("text/html", StringComparison.Ordinal) || contentType.Contains("svg", StringComparison.Ordinal))
        {
            // Repository content is not ours to render: a browser opening it gets text, never markup or script.
            contentType = "text/plain; charset=utf-8";
        }

        context.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Bytes(blob.Content, contentType);
    }

    [Function("ListDependencies")]
    public async Task<IResult> ListDependenciesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/dependencies")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var errors = new Dictionary<string, string[]>();
        var revision = Revision(request, errors);
        var ecosystem = query["ecosystem"].ToString() is { Length: > 0 } rawEcosystem ? rawEcosystem : null;
        if (ecosystem is not null && !Ecosystems.All.Contains(ecosystem))
        {
            errors["ecosystem"] = [$"One of {string.Join(", ", Ecosystems.All)}."];
        }

        bool? direct = null;
        if (query["direct"].ToString() is { Length: > 0 } rawDirect)
        {
            direct = bool.TryParse(rawDirect, out var parsed) ? parsed : null;
            if (direct is null)
            {
                errors["direct"] = ["true or false."];
            }
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await code.DependenciesAsync(Caller.From(request.HttpContext.User), id, revision, ecosystem, direct, cancellationToken);
        return outcome.Succeeded ? TypedResults.Json(outcome.Value!, CodeJsonContext.Default.DependencyList) : OutcomeResults.Problem(outcome);
    }

    [Function("DependencyChanges")]
    public async Task<IResult> DependencyChangesAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/dependencies/changes")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var from = request.Query["from"].ToString();
        var to = request.Query["to"].ToString();
        foreach (var (name, value) in new[] { ("from", from), ("to", to) })
        {
            if (!CodePaths.IsRevision(value))
            {
                errors[name] = ["A branch, tag, full ref or commit sha (required)."];
            }
        }

        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await code.DependencyChangesAsync(Caller.From(request.HttpContext.User), id, from, to, cancellationToken);
        return outcome.Succeeded ? TypedResults.Json(outcome.Value!, CodeJsonContext.Default.DependencyChanges) : OutcomeResults.Problem(outcome);
    }

    [Function("GetAnalysis")]
    public async Task<IResult> GetAnalysisAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/analysis")] HttpRequest request, string id, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var revision = Revision(request, errors);
        if (errors.Count > 0)
        {
            return OutcomeResults.Problem(Outcome<bool>.Invalid(errors));
        }

        var outcome = await code.AnalysisAsync(Caller.From(request.HttpContext.User), id, revision, cancellationToken);
        return outcome.Succeeded ? TypedResults.Json(outcome.Value!, CodeJsonContext.Default.CommitAnalysis) : OutcomeResults.Problem(outcome);
    }

    private static string? Revision(HttpRequest request, Dictionary<string, string[]> errors)
    {
        var revision = request.Query["ref"].ToString() is { Length: > 0 } raw ? raw : null;
        if (revision is not null && !CodePaths.IsRevision(revision))
        {
            errors["ref"] = ["A branch, tag, full ref or commit sha."];
        }

        return revision;
    }

    private static int Limit(HttpRequest request, int fallback, int max, Dictionary<string, string[]> errors)
    {
        var limit = fallback;
        if (request.Query["limit"].ToString() is { Length: > 0 } rawLimit &&
            (!int.TryParse(rawLimit, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > max))
        {
            errors["limit"] = [$"A whole number from 1 to {max}."];
        }

        return limit;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private static string? TryUtf8(byte[] content, bool binary)
    {
        if (binary)
        {
            return null;
        }

        try
        {
            return StrictUtf8.GetString(content);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
