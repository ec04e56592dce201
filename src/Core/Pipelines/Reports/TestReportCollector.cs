using Microsoft.Extensions.FileSystemGlobbing;

namespace DevMentor.Core.Pipelines.Reports;

/// <summary>Everything the test step left behind, plus the files that could not be read (with why).</summary>
public sealed record CollectedReports(
    IReadOnlyList<TestReport> Tests,
    IReadOnlyList<CoverageReport> Coverage,
    IReadOnlyList<TestReportException> Problems)
{
    public TestSummary Summary => TestSummary.From(Tests, Coverage);
}

/// <summary>
/// Finds report files in a workspace by the plan's globs and parses them. Symbolic links are
/// skipped: a repository could point one at a file outside its workspace.
/// </summary>
public static class TestReportCollector
{
    public static CollectedReports Collect(string workspace, IEnumerable<string> reportGlobs, IEnumerable<string> coverageGlobs, ReportLimits? limits = null)
    {
        var tests = new List<TestReport>();
        var coverage = new List<CoverageReport>();
        var problems = new List<TestReportException>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var contents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var relative in Find(workspace, reportGlobs.Concat(coverageGlobs)))
        {
            if (!seen.Add(relative))
            {
                continue;
            }

            try
            {
                // dotnet test copies each coverage attachment into the run's "In" folder: same
                // bytes under two names would count every line twice.
                var full = Path.Combine(workspace, relative);
                if (!contents.Add(Hash(full)))
                {
                    continue;
                }

                var parsed = TestReportParser.ParseFile(full, limits, relative);
                if (parsed.Tests is not null)
                {
                    tests.Add(parsed.Tests);
                }

                if (parsed.Coverage is not null)
                {
                    coverage.Add(parsed.Coverage);
                }
            }
            catch (TestReportException e)
            {
                problems.Add(e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add(new TestReportException(relative, $"cannot be read: {e.Message}", e));
            }
        }

        return new CollectedReports(tests, coverage, problems);
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(stream));
    }

    /// <summary>Workspace-relative paths ('/'-separated, sorted) of regular files matching any glob.</summary>
    public static IReadOnlyList<string> Find(string workspace, IEnumerable<string> globs)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs)
        {
            matcher.AddInclude(glob);
        }

        // Dependencies ship their own fixtures (a junit.xml inside some package would add its tests to ours).
        foreach (var excluded in new[] { "**/node_modules/**", "**/.venv/**", "**/.git/**" })
        {
            matcher.AddExclude(excluded);
        }

        var root = Path.GetFullPath(workspace);
        return matcher.GetResultsInFullPath(root)
            .Where(full => new FileInfo(full) is { Exists: true, LinkTarget: null } && !HasLinkedParent(root, full))
            .Select(full => Path.GetRelativePath(root, full).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static bool HasLinkedParent(string root, string full)
    {
        for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length > root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (new DirectoryInfo(dir).LinkTarget is not null)
            {
                return true;
            }
        }

        return false;
    }
}
