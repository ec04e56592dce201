namespace DevMentor.Core.Data.Embedded;

/// <summary>Finds the machine's PostgreSQL server programs (initdb, pg_ctl, postgres).</summary>
public sealed record PostgresBinaries(string Directory)
{
    public string InitDb => Path.Combine(Directory, "initdb");
    public string PgCtl => Path.Combine(Directory, "pg_ctl");
    public string Postgres => Path.Combine(Directory, "postgres");

    public const string InstallHint =
        "PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin. " +
        "Install them (Debian/Ubuntu: apt-get install postgresql) or set ConnectionStrings:Postgres to an existing server.";

    public static string MissingInExplicitDirectory(string directory) =>
        $"Postgres:BinDirectory '{directory}' does not contain initdb, pg_ctl and postgres. " +
        "Point it at the server programs (Debian/Ubuntu: apt-get install postgresql, then /usr/lib/postgresql/<version>/bin), " +
        "or set ConnectionStrings:Postgres to an existing server.";

    /// <summary>Looks in <paramref name="explicitDirectory"/>, then PATH, then /usr/lib/postgresql/*/bin (newest first).</summary>
    public static PostgresBinaries? Locate(string? explicitDirectory = null) =>
        Locate(explicitDirectory, Environment.GetEnvironmentVariable("PATH"), "/usr/lib/postgresql");

    internal static PostgresBinaries? Locate(string? explicitDirectory, string? searchPath, string debianRoot)
    {
        if (!string.IsNullOrWhiteSpace(explicitDirectory))
        {
            return HasServerPrograms(explicitDirectory) ? new PostgresBinaries(explicitDirectory) : null;
        }

        foreach (var directory in (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var pgCtl = Path.Combine(directory, "pg_ctl");
            if (!File.Exists(pgCtl))
            {
                continue;
            }

            // Debian puts symlinks on PATH; the real directory holds postgres beside initdb and pg_ctl.
            var resolved = new FileInfo(pgCtl).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? pgCtl;
            var realDirectory = Path.GetDirectoryName(resolved)!;
            if (HasServerPrograms(realDirectory))
            {
                return new PostgresBinaries(realDirectory);
            }
        }

        if (System.IO.Directory.Exists(debianRoot))
        {
            var newest = System.IO.Directory.GetDirectories(debianRoot)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(c => HasServerPrograms(c.Directory))
                .OrderByDescending(c => c.Version)
                .FirstOrDefault();
            if (newest.Directory is not null)
            {
                return new PostgresBinaries(newest.Directory);
            }
        }

        return null;
    }

    private static bool HasServerPrograms(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) &&
        File.Exists(Path.Combine(directory, "pg_ctl")) &&
        File.Exists(Path.Combine(directory, "postgres"));
}
