using Microsoft.Extensions.FileSystemGlobbing;

namespace DevMentor.Core.Builds.Reports;

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
        foreach (var relative in Find(workspace, reportGlobs.Concat(coverageGlobs)))
        {
            if (!seen.Add(relative))
            {
                continue;
            }

            try
            {
                var parsed = TestReportParser.ParseFile(Path.Combine(workspace, relative), limits, relative);
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
        }

        return new CollectedReports(tests, coverage, problems);
    }

    /// <summary>Workspace-relative paths ('/'-separated, sorted) of regular files matching any glob.</summary>
    public static IReadOnlyList<string> Find(string workspace, IEnumerable<string> globs)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs)
        {
            matcher.AddInclude(glob);
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
