using System.Text.Json;
using DevMentor.Core.Projects;
using DevMentor.Core.Templates;
using DevMentor.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Templates;

/// <summary>The built-in project templates: what each holds, and its files.</summary>
[Tags("Templates")]
public sealed class TemplateFunctions
{
    private static readonly byte[] ListJson = JsonSerializer.SerializeToUtf8Bytes(new TemplateList(TemplateCatalog.All), TemplatesJsonContext.Default.TemplateList);

    [Function("ListTemplates")]
    public IResult List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "templates")] HttpRequest request) =>
        ConditionalGet.JsonWithHashETag(request.HttpContext, ListJson);

    /// <summary>One template with the text of every file, before its variables are substituted.</summary>
    [Function("GetTemplate")]
    public IResult Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "templates/{name}")] HttpRequest request, string name) =>
        TemplateCatalog.Detail(name) is { } detail
            ? ConditionalGet.JsonWithHashETag(request.HttpContext, JsonSerializer.SerializeToUtf8Bytes(detail, TemplatesJsonContext.Default.TemplateDetail))
            : OutcomeResults.Problem(Outcome<bool>.Fail(OutcomeKind.NotFound,
                $"No template '{(name.Length > 50 ? name[..50] : name)}'; GET /templates lists them."));
}
