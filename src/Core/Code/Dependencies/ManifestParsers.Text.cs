using System.Text.RegularExpressions;
using System.Xml.Linq;
using Tomlyn;
using Tomlyn.Model;

namespace DevMentor.Core.Code.Dependencies;

public static partial class ManifestParsers
{
    // PEP 508: a name, optional [extras], then a version specifier (or none); markers after ';' are ignored.
    [GeneratedRegex(@"^(?<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?<spec>(?:[<>=!~]=?|===)[^;#]*)?\s*(?:;.*)?$")]
    private static partial Regex Pep508();

    [GeneratedRegex(@"^(?<module>\S+)\s+(?<version>v\S+)(?:\s*//\s*(?<comment>.*))?$")]
    private static partial Regex GoRequire();

    private static List<Dependency> Requirements(string path, string text)
    {
        var dev = FileName(path).Contains("dev", StringComparison.OrdinalIgnoreCase) || FileName(path).Contains("test", StringComparison.OrdinalIgnoreCase);
        var result = new List<Dependency>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.Split(" #")[0].Trim();
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith('-') || line.Contains("://", StringComparison.Ordinal))
            {
                continue; // options (-r, -e, --index-url) and direct URLs name no registry version
            }

            var match = Pep508().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"line {number} is not a requirement: {line}");
            }

            var spec = match.Groups["spec"].Success ? match.Groups["spec"].Value.Trim() : null;
            var exact = spec is not null && spec.StartsWith("==", StringComparison.Ordinal) && !spec.Contains(',') && !spec.Contains('*') ? spec[2..].Trim() : null;
            result.Add(new Dependency(Ecosystems.PyPI, Normalize(match.Groups["name"].Value), string.IsNullOrEmpty(spec) ? null : spec, exact, true, dev ? Dependency.Dev : Dependency.Runtime, path));
        }

        return result;
    }

    /// <summary>PEP 503 names: case and runs of -_. do not matter.</summary>
    private static string Normalize(string name) => Regex.Replace(name, "[-_.]+", "-").ToLowerInvariant();

    private static TomlTable Toml(string text) => TomlSerializer.Deserialize<TomlTable>(text) ?? throw new FormatException("empty TOML document");

    private static TomlTable? Table(TomlTable table, params string[] keys)
    {
        var current = table;
        foreach (var key in keys)
        {
            if (!current.TryGetValue(key, out var value) || value is not TomlTable next)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    private static List<Dependency> PyProject(string path, string text)
    {
        var toml = Toml(text);
        var result = new List<Dependency>();
        void AddPep508(object? list, string scope)
        {
            if (list is not TomlArray array)
            {
                return;
            }

            foreach (var item in array.OfType<string>())
            {
                var match = Pep508().Match(item.Trim());
                if (match.Success)
                {
                    var spec = match.Groups["spec"].Success && match.Groups["spec"].Value.Trim().Length > 0 ? match.Groups["spec"].Value.Trim() : null;
                    result.Add(new Dependency(Ecosystems.PyPI, Normalize(match.Groups["name"].Value), spec, null, true, scope, path));
                }
            }
        }

        if (Table(toml, "project") is { } project)
        {
            AddPep508(project.TryGetValue("dependencies", out var deps) ? deps : null, Dependency.Runtime);
            if (Table(project, "optional-dependencies") is { } optional)
            {
                foreach (var (group, list) in optional)
                {
                    AddPep508(list, group is "dev" or "test" or "tests" ? Dependency.Dev : Dependency.Runtime);
                }
            }
        }

        void AddPoetry(TomlTable? table, string scope)
        {
            foreach (var (name, value) in table ?? [])
            {
                if (name == "python")
                {
                    continue; // the interpreter, not a package
                }

                var declared = value switch
                {
                    string s => s,
                    TomlTable t when t.TryGetValue("version", out var v) => v as string,
                    _ => null,
                };
                result.Add(new Dependency(Ecosystems.PyPI, Normalize(name), declared, null, true, scope, path));
            }
        }

        AddPoetry(Table(toml, "tool", "poetry", "dependencies"), Dependency.Runtime);
        AddPoetry(Table(toml, "tool", "poetry", "dev-dependencies"), Dependency.Dev);
        foreach (var (_, group) in Table(toml, "tool", "poetry", "group") ?? [])
        {
            AddPoetry(group is TomlTable g ? Table(g, "dependencies") : null, Dependency.Dev);
        }

        return result;
    }

    /// <summary>poetry.lock and Cargo.lock: [[package]] tables with name and version.</summary>
    private static List<Dependency> TomlPackages(string path, string text, string ecosystem)
    {
        var toml = Toml(text);
        var result = new List<Dependency>();
        if (toml.TryGetValue("package", out var packages) && packages is TomlTableArray array)
        {
            foreach (var package in array)
            {
                if (package.TryGetValue("name", out var name) && name is string n)
                {
                    var version = package.TryGetValue("version", out var v) ? v as string : null;
                    var dev = package.TryGetValue("category", out var c) && c is "dev";
                    result.Add(new Dependency(ecosystem, ecosystem == Ecosystems.PyPI ? Normalize(n) : n, null, version, false, dev ? Dependency.Dev : Dependency.Runtime, path));
                }
            }
        }

        return result;
    }

    private static List<Dependency> CargoToml(string path, string text)
    {
        var toml = Toml(text);
        var result = new List<Dependency>();
        foreach (var (section, scope) in new[] { ("dependencies", Dependency.Runtime), ("dev-dependencies", Dependency.Dev), ("build-dependencies", Dependency.Dev) })
        {
            foreach (var (name, value) in Table(toml, section) ?? [])
            {
                var declared = value switch
                {
                    string s => s,
                    TomlTable t when t.TryGetValue("version", out var v) => v as string,
                    _ => null,
                };
                var package = value is TomlTable table && table.TryGetValue("package", out var p) && p is string renamed ? renamed : name;
                result.Add(new Dependency(Ecosystems.Cargo, package, declared, null, true, scope, path));
            }
        }

        return result;
    }

    private static List<Dependency> GoMod(string path, string text)
    {
        var result = new List<Dependency>();
        var inRequire = false;
        var sawModule = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            sawModule |= line.StartsWith("module ", StringComparison.Ordinal);
            if (line.StartsWith("require (", StringComparison.Ordinal) || line == "require(")
            {
                inRequire = true;
                continue;
            }

            if (inRequire && line == ")")
            {
                inRequire = false;
                continue;
            }

            var requirement = inRequire ? line : line.StartsWith("require ", StringComparison.Ordinal) ? line["require ".Length..].Trim() : null;
            if (string.IsNullOrEmpty(requirement) || requirement.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            var match = GoRequire().Match(requirement);
            if (!match.Success)
            {
                throw new FormatException($"not a requirement: {requirement}");
            }

            var version = match.Groups["version"].Value;
            var indirect = match.Groups["comment"].Value.Contains("indirect", StringComparison.Ordinal);
            result.Add(new Dependency(Ecosystems.Go, match.Groups["module"].Value, version, version, !indirect, Dependency.Runtime, path));
        }

        if (!sawModule || inRequire)
        {
            throw new FormatException(sawModule ? "a require block is not closed" : "there is no module line");
        }

        return result;
    }

    private static List<Dependency> GoSum(string path, string text)
    {
        var result = new Dictionary<string, Dependency>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3 || !parts[2].Contains(':', StringComparison.Ordinal))
            {
                throw new FormatException($"not a go.sum line: {raw}");
            }

            var version = parts[1].EndsWith("/go.mod", StringComparison.Ordinal) ? parts[1][..^"/go.mod".Length] : parts[1];
            // Several versions of a module may be listed (for the module graph): the highest is the one built.
            if (!result.TryGetValue(parts[0], out var known) || VersionOrder.Compare(Ecosystems.Go, version, known.Resolved) > 0)
            {
                result[parts[0]] = new Dependency(Ecosystems.Go, parts[0], null, version, false, Dependency.Runtime, path);
            }
        }

        return [.. result.Values];
    }

    private static List<Dependency> Pom(string path, string text)
    {
        var document = Xml(text);
        var project = document.Root ?? throw new FormatException("no root element");
        var properties = project.Elements().FirstOrDefault(e => e.Name.LocalName == "properties")?.Elements()
            .GroupBy(e => e.Name.LocalName).ToDictionary(g => g.Key, g => g.First().Value.Trim(), StringComparer.Ordinal) ?? [];
        string? Expand(string? value) => value is { } v && v.StartsWith("${", StringComparison.Ordinal) && v.EndsWith('}') && properties.TryGetValue(v[2..^1], out var p) ? p : value;
        string? Child(XElement e, string name) => e.Elements().FirstOrDefault(x => x.Name.LocalName == name)?.Value.Trim();

        var dependencies = project.Elements().FirstOrDefault(e => e.Name.LocalName == "dependencies");
        var result = new List<Dependency>();
        foreach (var dependency in dependencies?.Elements().Where(e => e.Name.LocalName == "dependency") ?? [])
        {
            var group = Child(dependency, "groupId") ?? throw new FormatException("a dependency has no groupId");
            var artifact = Child(dependency, "artifactId") ?? throw new FormatException("a dependency has no artifactId");
            var version = Expand(Child(dependency, "version"));
            var scope = Child(dependency, "scope") is "test" or "provided" ? Dependency.Dev : Dependency.Runtime;
            var exact = version is not null && version.IndexOfAny(['[', '(', ',', '$']) < 0 ? version : null;
            result.Add(new Dependency(Ecosystems.Maven, $"{group}:{artifact}", version, exact, true, scope, path));
        }

        return result;
    }
}
