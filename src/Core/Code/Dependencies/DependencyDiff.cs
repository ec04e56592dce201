namespace DevMentor.Core.Code.Dependencies;

/// <summary>What changed between two commits' dependencies, per (ecosystem, name, manifest).</summary>
public static class DependencyDiff
{
    public static IReadOnlyList<DependencyChange> Compare(IReadOnlyList<Dependency> before, IReadOnlyList<Dependency> after)
    {
        static (string, string, string) Key(Dependency d) => (d.Ecosystem, d.Name, d.ManifestPath);
        static string? Version(Dependency d) => d.Resolved ?? d.Declared;
        var old = before.GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
        var now = after.GroupBy(Key).ToDictionary(g => g.Key, g => g.First());
        var changes = new List<DependencyChange>();
        foreach (var (key, current) in now)
        {
            if (!old.TryGetValue(key, out var previous))
            {
                changes.Add(new DependencyChange(key.Item1, key.Item2, key.Item3, "added", null, Version(current)));
                continue;
            }

            var (from, to) = (Version(previous), Version(current));
            if (from == to)
            {
                continue;
            }

            var order = VersionOrder.Compare(key.Item1, Bare(from), Bare(to));
            var change = order switch { < 0 => "upgraded", > 0 => "downgraded", 0 => null, _ => "changed" };
            if (change is not null)
            {
                changes.Add(new DependencyChange(key.Item1, key.Item2, key.Item3, change, from, to));
            }
        }

        changes.AddRange(old.Where(o => !now.ContainsKey(o.Key)).Select(o => new DependencyChange(o.Key.Item1, o.Key.Item2, o.Key.Item3, "removed", Version(o.Value), null)));
        return [.. changes.OrderBy(c => c.Ecosystem, StringComparer.Ordinal).ThenBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.ManifestPath, StringComparer.Ordinal)];
    }

    /// <summary>A declared range's lower bound as a version (^1.2.3, ~=1.2, >=1.0, [1.0, ) → 1.2.3, 1.2, 1.0, 1.0).</summary>
    private static string? Bare(string? version) =>
        version?.TrimStart('^', '~', '=', '>', '<', '!', '[', '(', ' ').Split([',', ' ', ')', ']'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
}
