using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace DevMentor.Core.Templates;

/// <summary>
/// The built-in templates: files embedded in this assembly under <c>templates/&lt;name&gt;/</c>
/// (src/Core/Templates/Content), described here. <see cref="Render"/> substitutes
/// <c>{{projectName}}</c>, <c>{{namespace}}</c> and <c>{{description}}</c> in contents and paths,
/// after <see cref="Validate"/> made sure each value is safe in every file it lands in (JSON, TOML,
/// HTML, C#, Go and YAML), so no escaping per format is needed.
/// </summary>
public static partial class TemplateCatalog
{
    public const int MaxDescriptionLength = 300;

    public static readonly IReadOnlyList<TemplateVariable> Variables =
    [
        new("projectName", "The repository's and package's name.", true, "1 to 63 characters: lowercase letters, digits and single hyphens, starting with a letter (a DNS label)."),
        new("namespace", "The code's namespace (C#).", false, "Dot-separated PascalCase identifiers, at most 100 characters; from projectName when absent (my-api → MyApi)."),
        new("description", "One line for the README and the package's metadata.", false, $"At most {MaxDescriptionLength} characters, without control characters, quotes, backslashes, <, >, {{, }}, $ or `."),
    ];

    private static readonly (string Name, string Description, string Language, string[] Toolchain, bool Image, string? Health)[] Known =
    [
        ("dotnet-webapi", "ASP.NET Core minimal API (.NET 10) with xunit tests.", "csharp", ["dotnet"], true, "/health"),
        ("node-express", "Express on Node.js with node:test tests.", "javascript", ["node", "npm"], true, "/health"),
        ("python-fastapi", "FastAPI with pytest tests, in a virtual environment.", "python", ["python3", "pip (PyPI)"], true, "/health"),
        ("go-http", "A Go server on net/http with go test.", "go", ["go"], true, "/health"),
        ("static-site", "Static HTML and CSS, served by a dependency-free Node.js server; tests check every link.", "html", ["node"], false, "/health"),
        ("empty", "A README, a .gitignore and a .devmentor.yml that detects steps once there is code.", "none", [], false, null),
    ];

    private static readonly Lazy<Dictionary<string, IReadOnlyDictionary<string, byte[]>>> Files = new(Load);

    public static IReadOnlyList<ProjectTemplate> All { get; } = [.. Known.Select(k => Describe(k.Name)!)];

    public static ProjectTemplate? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    public static TemplateDetail? Detail(string name) =>
        Find(name) is { } template
            ? new TemplateDetail(template, Files.Value[name].ToDictionary(f => f.Key, f => Encoding.UTF8.GetString(f.Value), StringComparer.Ordinal))
            : null;

    /// <summary>Checks the values (and fills the namespace from the name); every problem is named by its variable.</summary>
    public static (TemplateValues? Values, Dictionary<string, string[]> Errors) Validate(string? projectName, string? ns, string? description)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (projectName is null || projectName.Length > 63 || !ProjectNamePattern().IsMatch(projectName))
        {
            errors["projectName"] = [Variables[0].Rule];
        }

        var resolved = string.IsNullOrEmpty(ns) && projectName is not null ? Pascal(projectName) : ns;
        if (resolved is null || resolved.Length > 100 || !NamespacePattern().IsMatch(resolved))
        {
            errors["namespace"] = [Variables[1].Rule];
        }

        description ??= "";
        if (description.Length > MaxDescriptionLength || description.Any(c => char.IsControl(c) || c is '"' or '\\' or '<' or '>' or '{' or '}' or '$' or '`') ||
            char.IsSurrogate(description.LastOrDefault()) || description.Where(char.IsSurrogate).Count() % 2 != 0)
        {
            errors["description"] = [Variables[2].Rule];
        }

        return errors.Count > 0 ? (null, errors) : (new TemplateValues(projectName!, resolved!, description.Trim()), errors);
    }

    /// <summary>The template's files with the values in place, ordered by path.</summary>
    public static IReadOnlyList<RenderedFile> Render(string name, TemplateValues values)
    {
        if (!Files.Value.TryGetValue(name, out var files))
        {
            throw new ArgumentException($"No template '{name}'.", nameof(name));
        }

        return [.. files.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => new RenderedFile(
            Substitute(f.Key, values),
            IsText(f.Key) ? Encoding.UTF8.GetBytes(Substitute(Encoding.UTF8.GetString(f.Value), values)) : f.Value))];
    }

    /// <summary>Writes the rendered files under <paramref name="directory"/> (created), as a working copy of the first commit.</summary>
    public static async Task WriteAsync(string directory, IReadOnlyList<RenderedFile> files, CancellationToken cancellationToken)
    {
        foreach (var file in files)
        {
            var path = Path.GetFullPath(Path.Combine(directory, file.Path));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, file.Content, cancellationToken);
        }
    }

    private static string Substitute(string text, TemplateValues values) => text
        .Replace("{{projectName}}", values.ProjectName, StringComparison.Ordinal)
        .Replace("{{namespace}}", values.Namespace, StringComparison.Ordinal)
        .Replace("{{description}}", values.Description, StringComparison.Ordinal);

    private static bool IsText(string path) => !path.EndsWith(".png", StringComparison.OrdinalIgnoreCase);

    private static string Pascal(string name) =>
        string.Concat(name.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(part => char.ToUpperInvariant(part[0]) + part[1..]));

    private static ProjectTemplate? Describe(string name)
    {
        var known = Known.FirstOrDefault(k => k.Name == name);
        return known.Name is null
            ? null
            : new ProjectTemplate(known.Name, known.Description, known.Language, known.Toolchain, known.Image, known.Health,
                [.. Files.Value[name].Keys.Order(StringComparer.Ordinal)], Variables);
    }

    private static Dictionary<string, IReadOnlyDictionary<string, byte[]>> Load()
    {
        var assembly = typeof(TemplateCatalog).Assembly;
        var result = new Dictionary<string, Dictionary<string, byte[]>>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith("templates/", StringComparison.Ordinal)))
        {
            var rest = resource["templates/".Length..].Replace('\\', '/');
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var files = result.TryGetValue(rest[..slash], out var existing) ? existing : result[rest[..slash]] = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            files[rest[(slash + 1)..]] = copy.ToArray();
        }

        return result.ToDictionary(r => r.Key, r => (IReadOnlyDictionary<string, byte[]>)r.Value, StringComparer.Ordinal);
    }

    [GeneratedRegex("^[a-z](?:-?[a-z0-9])*$", RegexOptions.CultureInvariant)]
    private static partial Regex ProjectNamePattern();

    [GeneratedRegex("^[A-Z][A-Za-z0-9]*(?:\\.[A-Z][A-Za-z0-9]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex NamespacePattern();
}
