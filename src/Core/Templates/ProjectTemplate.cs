namespace DevMentor.Core.Templates;

/// <summary>A built-in template as <c>GET /templates</c> lists it.</summary>
/// <param name="Toolchain">What its install, test and build steps need on a runner (dotnet, node and npm, python3 and pip, go; none for empty).</param>
/// <param name="Image">Whether its <c>.devmentor.yml</c> builds a container image (from its Containerfile).</param>
/// <param name="Health">The path its local deploy target checks; null when it has nothing to serve.</param>
public sealed record ProjectTemplate(string Name, string Description, string Language, IReadOnlyList<string> Toolchain, bool Image, string? Health,
    IReadOnlyList<string> Files, IReadOnlyList<TemplateVariable> Variables);

public sealed record TemplateVariable(string Name, string Description, bool Required, string Rule);

public sealed record TemplateList(IReadOnlyList<ProjectTemplate> Items);

/// <summary>One template's files with their (unrendered) text: <c>GET /templates/{name}</c>.</summary>
public sealed record TemplateDetail(ProjectTemplate Template, IReadOnlyDictionary<string, string> Contents);

/// <summary>A file of a rendered template: its path in the repository, and its bytes.</summary>
public sealed record RenderedFile(string Path, byte[] Content);

/// <summary>The values substituted into a template's files and paths.</summary>
public sealed record TemplateValues(string ProjectName, string Namespace, string Description);
