using DevMentor.Core.Data.Embedded;

namespace DevMentor.Core.Tests.Data;

/// <summary>Where the embedded cluster's server programs are looked for, on a made-up file system.</summary>
public sealed class PostgresBinariesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pgbin-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string ServerPrograms(string relative, params string[] programs)
    {
        var directory = Path.Combine(_root, relative);
        Directory.CreateDirectory(directory);
        string[] names = programs.Length == 0 ? ["initdb", "pg_ctl", "postgres"] : programs;
        foreach (var program in names)
        {
            File.WriteAllText(Path.Combine(directory, program), "");
        }

        return directory;
    }

    private string Missing => Path.Combine(_root, "nowhere");

    [Fact]
    public void Nothing_on_path_and_no_debian_directory_finds_nothing()
    {
        ServerPrograms("partial", "pg_ctl");

        Assert.Null(PostgresBinaries.Locate(null, Path.Combine(_root, "partial"), Missing));
        Assert.Null(PostgresBinaries.Locate(null, null, Missing));
    }

    [Fact]
    public void A_path_symlink_leads_to_the_directory_that_holds_postgres_too()
    {
        // A pg_ctl on PATH may be a symlink; the directory it resolves to must hold initdb and postgres as well.
        var real = ServerPrograms("lib/16/bin");
        var onPath = Path.Combine(_root, "bin");
        Directory.CreateDirectory(onPath);
        File.CreateSymbolicLink(Path.Combine(onPath, "pg_ctl"), Path.Combine(real, "pg_ctl"));

        Assert.Equal(real, PostgresBinaries.Locate(null, Missing + Path.PathSeparator + onPath, Missing)?.Directory);
    }

    [Fact]
    public void The_debian_layout_gives_the_newest_version()
    {
        ServerPrograms("debian/14/bin");
        var newest = ServerPrograms("debian/16/bin");
        ServerPrograms("debian/17/bin", "pg_ctl"); // incomplete: client programs only

        Assert.Equal(newest, PostgresBinaries.Locate(null, "", Path.Combine(_root, "debian"))?.Directory);
    }

    [Fact]
    public void An_explicit_directory_is_the_only_place_looked_at()
    {
        var elsewhere = ServerPrograms("debian/16/bin");
        var explicitDirectory = ServerPrograms("explicit", "initdb", "pg_ctl");

        Assert.Null(PostgresBinaries.Locate(explicitDirectory, elsewhere, Path.Combine(_root, "debian")));
        File.WriteAllText(Path.Combine(explicitDirectory, "postgres"), "");
        Assert.Equal(explicitDirectory, PostgresBinaries.Locate(explicitDirectory, elsewhere, Path.Combine(_root, "debian"))?.Directory);
    }

    [Fact]
    public void The_messages_say_how_to_install_them_or_what_to_set_instead()
    {
        Assert.Contains("apt-get install postgresql", PostgresBinaries.InstallHint, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Postgres", PostgresBinaries.InstallHint, StringComparison.Ordinal);
        var explicitMessage = PostgresBinaries.MissingInExplicitDirectory("/opt/pg");
        Assert.Contains("Postgres:BinDirectory '/opt/pg'", explicitMessage, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Postgres", explicitMessage, StringComparison.Ordinal);
    }
}
