namespace DevMentor.Core.Code.Dependencies;

public static class Ecosystems
{
    public const string Npm = "npm";
    public const string NuGet = "nuget";
    public const string PyPI = "pypi";
    public const string Go = "go";
    public const string Cargo = "cargo";
    public const string Maven = "maven";

    public static readonly IReadOnlyList<string> All = [Npm, NuGet, PyPI, Go, Cargo, Maven];
}

/// <param name="Declared">The range or version the manifest asks for; null when only a lock file names it.</param>
/// <param name="Resolved">The exact version a lock file (or an exact declaration) settles on; null when unknown.</param>
/// <param name="Direct">Named by a manifest of the project (not only pulled in by another package).</param>
/// <param name="Scope">runtime or dev (test, build and development-only dependencies).</param>
public sealed record Dependency(string Ecosystem, string Name, string? Declared, string? Resolved, bool Direct, string Scope, string ManifestPath)
{
    public const string Runtime = "runtime";
    public const string Dev = "dev";
}

/// <summary>A manifest that could not be read: reported for its file, the sync goes on.</summary>
public sealed record ManifestError(string Path, string Error);

/// <summary>What a file gave: its dependencies, and whether it is a lock file (which resolves what manifests declare).</summary>
public sealed record ManifestResult(string Path, string Ecosystem, bool IsLock, IReadOnlyList<Dependency> Dependencies);

/// <param name="Change">added, removed, upgraded, downgraded or changed (versions that do not compare).</param>
public sealed record DependencyChange(string Ecosystem, string Name, string ManifestPath, string Change, string? From, string? To);
