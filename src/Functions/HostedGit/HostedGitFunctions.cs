using DevMentor.Core.HostedGit;
using DevMentor.Core.Security;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.HostedGit;

/// <summary>
/// Hosted repositories over git's smart HTTP protocol: <c>git clone https://host/git/{project id}.git</c>
/// with the API key as the Basic password (or a bearer JWT). Anonymous here because git first asks
/// without credentials and must get a Basic challenge, not the API's bearer one; the project's roles
/// decide the rest (viewers fetch, developers push, others see nothing).
/// </summary>
[Tags("Git")]
public sealed class HostedGitFunctions(HostedGitService git)
{
    /// <summary>The largest push body accepted (a pack); HostedGit:MaxPushMegabytes can only lower it.</summary>
    public const long MaxBodyBytes = 1024L * 1024 * 1024;

    [Function("HostedGit")]
    [AllowAnonymous]
    [RequestSizeLimit(MaxBodyBytes)]
    public async Task<IResult> ServeAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", Route = "git/{repository}/{*rest}")] HttpRequest request, string repository, string? rest,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(request.HttpContext.User);
        var authorization = await git.AuthorizeAsync(caller, repository, rest ?? "", request.Method, request.Query["service"].ToString(), cancellationToken);
        switch (authorization.Access)
        {
            case GitAccess.Unauthenticated:
                request.HttpContext.Response.Headers.WWWAuthenticate = "Basic realm=\"DevMentor git\", charset=\"UTF-8\"";
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, type: ProblemTypes.Unauthorized, title: "Unauthorized",
                    detail: "Sign in with your API key as the password (any user name), or a bearer JWT.");
            case GitAccess.NotFound:
                return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, type: ProblemTypes.NotFound, title: "Not Found", detail: authorization.Detail);
            case GitAccess.Forbidden:
                return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, type: ProblemTypes.Forbidden, title: "Forbidden", detail: authorization.Detail);
        }

        var protocol = request.Headers["Git-Protocol"].ToString();
        var cgi = new CgiRequest(
            request.Method,
            authorization.PathInfo,
            request.QueryString.HasValue ? request.QueryString.Value![1..] : "",
            request.ContentType,
            request.ContentLength,
            request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding ? encoding : null,
            protocol.Length is > 0 and <= 100 && protocol.All(c => c is >= ' ' and <= '~') ? protocol : null,
            caller.UserId!,
            request.HttpContext.Connection.RemoteIpAddress?.ToString(),
            authorization.AllowPush);
        return new BackendResult(git, authorization, cgi);
    }

    /// <summary>Streams http-backend's answer: status and headers once it printed them, then the body as it comes.</summary>
    private sealed class BackendResult(HostedGitService git, GitAuthorization authorization, CgiRequest cgi) : IResult
    {
        private static readonly HashSet<string> Skipped = new(StringComparer.OrdinalIgnoreCase) { "Connection", "Transfer-Encoding", "Content-Length", "Keep-Alive" };

        public Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            httpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            return git.ServeAsync(authorization, cgi, httpContext.Request.Body, (status, headers) =>
            {
                response.StatusCode = status;
                foreach (var (name, value) in headers)
                {
                    if (!Skipped.Contains(name))
                    {
                        response.Headers.Append(name, value);
                    }
                }

                return Task.FromResult(response.Body);
            }, httpContext.RequestAborted);
        }
    }
}
