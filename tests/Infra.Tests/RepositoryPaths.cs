namespace DevMentor.Infra.Tests;

/// <summary>Files of the repository under test, found from the test assembly's folder upwards.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Bicep => Path.Combine(Root, "infra", "bicep");

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DevMentor.Functions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No DevMentor.Functions.sln above {AppContext.BaseDirectory}.");
    }
}
