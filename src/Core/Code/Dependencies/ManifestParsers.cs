using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace DevMentor.Core.Code.Dependencies;

/// <summary>
/// Reads manifests and lock files with real parsers (System.Text.Json, XLinq, Tomlyn); the few
/// line formats (requirements.txt, go.mod, go.sum) are split by their documented grammar.
/// A file that does not parse throws <see cref="ManifestException"/>, reported for that file only.
/// </summary>
public static partial class ManifestParsers
{
    private static readonly JsonDocumentOptions JsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 256 };

    /// <summary>Whether the sync should read this path as a manifest.</summary>
    public static bool IsManifest(string path)
    {
        var name = FileName(path);
        return name is "package.json" or "package-lock.json" or "Directory.Packages.props" or "packages.lock.json" or "pyproject.toml" or "poetry.lock"
                   or "go.mod" or "go.sum" or "Cargo.toml" or "Cargo.lock" or "pom.xml"
               || name.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase)
               || (name.StartsWith("requirements", StringComparison.OrdinalIgnoreCase) && name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase));
    }

    /// <exception cref="ManifestException">The file is malformed.</exception>
    public static ManifestResult Parse(string path, string text)
    {
        var name = FileName(path);
        try
        {
            return name switch
            {
                "package.json" => new(path, Ecosystems.Npm, false, PackageJson(path, text)),
                "package-lock.json" => new(path, Ecosystems.Npm, true, PackageLock(path, text)),
                "Directory.Packages.props" => new(path, Ecosystems.NuGet, false, CentralPackages(path, text)),
                "packages.lock.json" => new(path, Ecosystems.NuGet, true, NuGetLock(path, text)),
                "pyproject.toml" => new(path, Ecosystems.PyPI, false, PyProject(path, text)),
                "poetry.lock" => new(path, Ecosystems.PyPI, true, TomlPackages(path, text, Ecosystems.PyPI)),
                "go.mod" => new(path, Ecosystems.Go, false, GoMod(path, text)),
                "go.sum" => new(path, Ecosystems.Go, true, GoSum(path, text)),
                "Cargo.toml" => new(path, Ecosystems.Cargo, false, CargoToml(path, text)),
                "Cargo.lock" => new(path, Ecosystems.Cargo, true, TomlPackages(path, text, Ecosystems.Cargo)),
                "pom.xml" => new(path, Ecosystems.Maven, false, Pom(path, text)),
                _ when name.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) => new(path, Ecosystems.NuGet, false, CsProj(path, text)),
                _ => new(path, Ecosystems.PyPI, false, Requirements(path, text)),
            };
        }
        catch (Exception e) when (e is JsonException or XmlException or FormatException or InvalidOperationException or InvalidCastException or Tomlyn.TomlException)
        {
            throw new ManifestException($"{name} could not be read: {FirstLine(e.Message)}");
        }
    }

    /// <summary>
    /// Joins each directory's lock file to its manifests: a locked package the manifest names takes
    /// the resolved version into the declared row; the other locked packages are transitive.
    /// </summary>
    public static IReadOnlyList<Dependency> Merge(IEnumerable<ManifestResult> results)
    {
        var all = results.ToList();
        var merged = new List<Dependency>();
        foreach (var group in all.GroupBy(r => (Directory: DirectoryOf(r.Path), r.Ecosystem)))
        {
            var declared = group.Where(r => !r.IsLock).SelectMany(r => r.Dependencies).ToList();
            var locked = group.Where(r => r.IsLock).SelectMany(r => r.Dependencies)
                .GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
            foreach (var dependency in declared)
            {
                merged.Add(locked.Remove(dependency.Name, out var lockEntry) ? dependency with { Resolved = lockEntry.Resolved ?? dependency.Resolved } : dependency);
            }

            var declaredNames = declared.Select(d => d.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            merged.AddRange(locked.Values.Where(d => !declaredNames.Contains(d.Name)));
        }

        return merged;
    }

    private static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static string DirectoryOf(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    private static IEnumerable<(string Name, string Value)> StringProperties(JsonElement parent, string property)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(property, out var section))
        {
            yield break;
        }

        if (section.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"\"{property}\" must be an object");
        }

        foreach (var entry in section.EnumerateObject())
        {
            yield return (entry.Name, entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText());
        }
    }

    private static List<Dependency> PackageJson(string path, string text)
    {
        using var document = JsonDocument.Parse(text, JsonOptions);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("package.json must hold an object");
        }

        var result = new List<Dependency>();
        foreach (var (section, scope) in new[] { ("dependencies", Dependency.Runtime), ("optionalDependencies", Dependency.Runtime), ("peerDependencies", Dependency.Runtime), ("devDependencies", Dependency.Dev) })
        {
            foreach (var (name, range) in StringProperties(root, section))
            {
                if (!result.Any(d => d.Name == name))
                {
                    result.Add(new Dependency(Ecosystems.Npm, name, range, null, true, scope, path));
                }
            }
        }

        return result;
    }

    private static List<Dependency> PackageLock(string path, string text)
    {
        using var document = JsonDocument.Parse(text, JsonOptions);
        var root = document.RootElement;
        var result = new List<Dependency>();
        if (root.TryGetProperty("packages", out var packages) && packages.ValueKind == JsonValueKind.Object)
        {
            // lockfileVersion 2 and 3: "node_modules/a/node_modules/b" keys; "" is the project itself.
            var direct = new HashSet<string>(StringComparer.Ordinal);
            if (packages.TryGetProperty("", out var self))
            {
                foreach (var section in new[] { "dependencies", "devDependencies", "optionalDependencies", "peerDependencies" })
                {
                    direct.UnionWith(StringProperties(self, section).Select(p => p.Name));
                }
            }

            foreach (var entry in packages.EnumerateObject())
            {
                var at = entry.Name.LastIndexOf("node_modules/", StringComparison.Ordinal);
                if (at < 0 || entry.Value.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var name = entry.Name[(at + "node_modules/".Length)..];
                var topLevel = at == 0;
                var version = entry.Value.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var dev = entry.Value.TryGetProperty("dev", out var d) && d.ValueKind == JsonValueKind.True;
                if (!result.Any(r => r.Name == name && r.Resolved == version))
                {
                    result.Add(new Dependency(Ecosystems.Npm, name, null, version, topLevel && direct.Contains(name), dev ? Dependency.Dev : Dependency.Runtime, path));
                }
            }
        }
        else if (root.TryGetProperty("dependencies", out var v1) && v1.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in v1.EnumerateObject())
            {
                var version = entry.Value.TryGetProperty("version", out var v) ? v.GetString() : null;
                var dev = entry.Value.TryGetProperty("dev", out var d) && d.ValueKind == JsonValueKind.True;
                result.Add(new Dependency(Ecosystems.Npm, entry.Name, null, version, false, dev ? Dependency.Dev : Dependency.Runtime, path));
            }
        }
        else
        {
            throw new FormatException("neither \"packages\" nor \"dependencies\" is an object");
        }

        return result;
    }

    private static XDocument Xml(string text) =>
        XDocument.Parse(text, LoadOptions.None); // XDocument.Parse never resolves DTDs or external entities

    private static List<Dependency> CsProj(string path, string text) =>
        Xml(text).Descendants().Where(e => e.Name.LocalName == "PackageReference").Select(e =>
        {
            var name = (string?)e.Attribute("Include") ?? (string?)e.Attribute("Update") ?? throw new FormatException("a PackageReference has no Include");
            var version = (string?)e.Attribute("Version") ?? (string?)e.Attribute("VersionOverride") ?? e.Elements().FirstOrDefault(x => x.Name.LocalName == "Version")?.Value;
            var privateAssets = (string?)e.Attribute("PrivateAssets") ?? e.Elements().FirstOrDefault(x => x.Name.LocalName == "PrivateAssets")?.Value;
            var dev = string.Equals(privateAssets, "all", StringComparison.OrdinalIgnoreCase);
            return new Dependency(Ecosystems.NuGet, name, version, Exact(version), true, dev ? Dependency.Dev : Dependency.Runtime, path);
        }).ToList();

    private static List<Dependency> CentralPackages(string path, string text) =>
        Xml(text).Descendants().Where(e => e.Name.LocalName == "PackageVersion").Select(e =>
        {
            var name = (string?)e.Attribute("Include") ?? throw new FormatException("a PackageVersion has no Include");
            var version = (string?)e.Attribute("Version");
            return new Dependency(Ecosystems.NuGet, name, version, Exact(version), true, Dependency.Runtime, path);
        }).ToList();

    private static List<Dependency> NuGetLock(string path, string text)
    {
        using var document = JsonDocument.Parse(text, JsonOptions);
        if (!document.RootElement.TryGetProperty("dependencies", out var frameworks) || frameworks.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("\"dependencies\" must be an object of target frameworks");
        }

        var result = new Dictionary<string, Dependency>(StringComparer.OrdinalIgnoreCase);
        foreach (var framework in frameworks.EnumerateObject())
        {
            foreach (var package in framework.Value.EnumerateObject())
            {
                var type = package.Value.TryGetProperty("type", out var t) ? t.GetString() : null;
                var requested = package.Value.TryGetProperty("requested", out var r) ? r.GetString() : null;
                var resolved = package.Value.TryGetProperty("resolved", out var v) ? v.GetString() : null;
                result.TryAdd(package.Name, new Dependency(Ecosystems.NuGet, package.Name, requested, resolved, type == "Direct", Dependency.Runtime, path));
            }
        }

        return [.. result.Values];
    }

    private static string? Exact(string? version) =>
        version is { Length: > 0 } && !version.Contains('*') && !version.Contains('$') && version.IndexOfAny(['[', '(', ',', '>', '<', '^', '~', ' ']) < 0 ? version : null;
}

public sealed class ManifestException(string message) : Exception(message);
