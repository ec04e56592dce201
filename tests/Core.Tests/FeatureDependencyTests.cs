using System.Text.RegularExpressions;

namespace DevMentor.Core.Tests;

/// <summary>
/// The layout rule "two features never import each other" (nor through a third): the features of src/Core
/// (its top-level folders) and which others each one names, read from the source. Source rather than IL
/// because a type used only in a signature or a nameof leaves no reference a reflection walk sees reliably,
/// while every cross-feature use needs <c>DevMentor.Core.X</c> (a using or a qualified name) or, from
/// inside DevMentor.Core, <c>Core.X.</c>.
/// </summary>
public sealed partial class FeatureDependencyTests
{
    [GeneratedRegex(@"\b(?:DevMentor\.)?Core\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex FeatureReference();

    [Fact]
    public void No_feature_depends_on_itself_through_others()
    {
        var core = Path.Combine(RepositoryRoot(), "src", "Core");
        var features = Directory.GetDirectories(core).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).ToHashSet(StringComparer.Ordinal)!;
        Assert.Contains("Pipelines", features);
        Assert.Contains("Builds", features);

        var edges = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var feature in features)
        {
            var uses = edges[feature!] = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(core, feature!), "*.cs", SearchOption.AllDirectories))
            {
                foreach (Match match in FeatureReference().Matches(File.ReadAllText(file)))
                {
                    var other = match.Groups[1].Value;
                    if (other != feature && features.Contains(other))
                    {
                        uses.TryAdd(other, Path.GetRelativePath(core, file));
                    }
                }
            }
        }

        // Builds uses Pipelines (the built-in steps implement the runner contract): the edge this test must see.
        Assert.True(edges["Builds"].ContainsKey("Pipelines"), "the source scan found no Builds → Pipelines reference");

        var cycles = new List<string>();
        foreach (var start in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (FindPath(edges, start, start, [start], new HashSet<string>(StringComparer.Ordinal)) is { } path)
            {
                cycles.Add(string.Join(" → ", path.Zip(path.Skip(1), (from, to) => $"{from} ({edges[from][to]})")) + $" → {start}");
            }
        }

        Assert.True(cycles.Count == 0, "features that depend on themselves:\n" + string.Join("\n", cycles));
    }

    private static List<string>? FindPath(Dictionary<string, Dictionary<string, string>> edges, string at, string target, List<string> path, HashSet<string> seen)
    {
        foreach (var next in edges[at].Keys.Order(StringComparer.Ordinal))
        {
            if (next == target)
            {
                return [.. path, target];
            }

            if (seen.Add(next) && FindPath(edges, next, target, [.. path, next], seen) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DevMentor.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No DevMentor.Functions.sln above {AppContext.BaseDirectory}.");
    }
}
