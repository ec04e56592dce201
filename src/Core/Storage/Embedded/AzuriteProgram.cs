namespace DevMentor.Core.Storage.Embedded;

/// <summary>How to run Azurite: a program and the arguments that come before Azurite's own.</summary>
public sealed record AzuriteProgram(string FileName, IReadOnlyList<string> Prefix, string Origin)
{
    /// <summary>The committed Node package (tools/azurite: package.json + package-lock.json) and its entry point.</summary>
    public const string ToolsFolder = "tools/azurite";
    private const string EntryPoint = "node_modules/azurite/dist/src/azurite.js";

    public static string InstallHint =>
        "Azurite (the embedded storage) is not installed: run scripts/install-prereqs.sh (npm ci in tools/azurite), " +
        "or `npm install -g azurite`, or set Azurite:Path to its program, or set AzureWebJobsStorage to a storage account.";

    /// <summary>
    /// Azurite:Path when set (a program, or Azurite's .js entry point run with node); else
    /// tools/azurite's install found above <paramref name="searchFrom"/> folders (the executable's
    /// and the working directory); else <c>azurite</c> on PATH. Null when none is there.
    /// </summary>
    public static AzuriteProgram? Locate(string? explicitPath, IEnumerable<string> searchFrom)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            var full = Path.GetFullPath(explicitPath);
            return File.Exists(full) ? FromFile(full, "Azurite:Path") : null;
        }

        foreach (var start in searchFrom)
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var entry = Path.Combine(directory.FullName, ToolsFolder, EntryPoint);
                if (File.Exists(entry))
                {
                    return new AzuriteProgram("node", [entry], ToolsFolder);
                }
            }
        }

        return OnPath("azurite") is { } onPath ? new AzuriteProgram(onPath, [], "PATH") : null;
    }

    public static string MissingExplicitPath(string path) =>
        $"Azurite:Path: '{path}' does not exist. Point it at the azurite program (or its dist/src/azurite.js), or leave it empty to use tools/azurite (scripts/install-prereqs.sh installs it).";

    private static AzuriteProgram FromFile(string path, string origin) =>
        path.EndsWith(".js", StringComparison.Ordinal) ? new AzuriteProgram("node", [path], origin) : new AzuriteProgram(path, [], origin);

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
