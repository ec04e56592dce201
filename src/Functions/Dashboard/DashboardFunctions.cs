using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Dashboard;

/// <summary>
/// The monitoring dashboard: a static page and its script and stylesheet, embedded in this assembly
/// (no CDN: the machine may have no internet). The page itself is public; it signs in by sending the
/// user's own API key or token with every API call it makes, so it sees exactly what the user may.
/// </summary>
[Tags("Dashboard")]
public sealed class DashboardFunctions
{
    private static readonly Dictionary<string, (string ContentType, byte[] Bytes)> Assets = Load();

    // Scripts and styles only from this service; no inline script, no framing.
    private const string Policy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    [Function("GetDashboard")]
    [AllowAnonymous]
    public IResult Platform([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard")] HttpRequest request) => Serve(request, "dashboard.html");

    [Function("GetProjectDashboard")]
    [AllowAnonymous]
    public IResult Project([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "projects/{id}/dashboard")] HttpRequest request, string id) =>
        Serve(request, "dashboard.html");

    [Function("GetDashboardAsset")]
    [AllowAnonymous]
    public IResult Asset([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "dashboard/assets/{name}")] HttpRequest request, string name) =>
        Assets.ContainsKey(name) && name != "dashboard.html"
            ? Serve(request, name)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No dashboard asset '{name}'.");

    private static Microsoft.AspNetCore.Http.HttpResults.FileContentHttpResult Serve(HttpRequest request, string name)
    {
        var (type, bytes) = Assets[name];
        var headers = request.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers.CacheControl = "no-cache";
        return TypedResults.Bytes(bytes, type);
    }

    private static Dictionary<string, (string, byte[])> Load()
    {
        var assembly = typeof(DashboardFunctions).Assembly;
        var assets = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var name in new[] { "dashboard.html", "dashboard.js", "dashboard.css" })
        {
            using var stream = assembly.GetManifestResourceStream("dashboard/" + name)
                ?? throw new InvalidOperationException($"The dashboard asset {name} is not embedded.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                _ => "text/css; charset=utf-8",
            };
            assets[name] = (type, copy.ToArray());
        }

        return assets;
    }
}
