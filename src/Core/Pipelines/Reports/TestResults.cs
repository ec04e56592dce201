namespace DevMentor.Core.Pipelines.Reports;

public enum TestOutcome
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>One test as the run's test results show it (<c>{suite, name, outcome, durationMs, message}</c>).</summary>
/// <param name="Message">Failure or skip reason, capped; null for passed tests.</param>
public sealed record TestCaseResult(string Suite, string Name, TestOutcome Outcome, long DurationMs, string? Message);

public enum TestReportFormat
{
    Trx,
    JUnit,
}

/// <summary>The tests of one report file.</summary>
public sealed record TestReport(string File, TestReportFormat Format, IReadOnlyList<TestCaseResult> Tests)
{
    public int Passed => Tests.Count(t => t.Outcome == TestOutcome.Passed);
    public int Failed => Tests.Count(t => t.Outcome == TestOutcome.Failed);
    public int Skipped => Tests.Count(t => t.Outcome == TestOutcome.Skipped);
}

/// <summary>One Cobertura file. Rates are 0..1 as Cobertura writes them.</summary>
public sealed record CoverageReport(
    string File,
    double LineRate,
    double BranchRate,
    long LinesCovered,
    long LinesValid,
    long BranchesCovered,
    long BranchesValid);

/// <summary>
/// The run summary: counts over every report, and coverage (percent, 0..100) as covered/valid lines over
/// every Cobertura file — a sum, not an average of rates, so a tiny project cannot skew it.
/// </summary>
public sealed record TestSummary(int Passed, int Failed, int Skipped, double? Coverage, double? BranchCoverage, IReadOnlyList<TestCaseResult> Items)
{
    public static TestSummary From(IEnumerable<TestReport> reports, IEnumerable<CoverageReport> coverage)
    {
        var items = reports.SelectMany(r => r.Tests).ToList();
        var files = coverage.ToList();
        return new TestSummary(
            items.Count(t => t.Outcome == TestOutcome.Passed),
            items.Count(t => t.Outcome == TestOutcome.Failed),
            items.Count(t => t.Outcome == TestOutcome.Skipped),
            Percent(files, f => (f.LinesCovered, f.LinesValid, f.LineRate)),
            Percent(files, f => (f.BranchesCovered, f.BranchesValid, f.BranchRate)),
            items);
    }

    private static double? Percent(List<CoverageReport> files, Func<CoverageReport, (long Covered, long Valid, double Rate)> pick)
    {
        if (files.Count == 0)
        {
            return null;
        }

        var parts = files.Select(pick).ToList();
        var valid = parts.Sum(p => p.Valid);
        if (valid > 0)
        {
            return Math.Round(100.0 * parts.Sum(p => p.Covered) / valid, 2);
        }

        // Counts missing (older producers): fall back to the mean of the rates.
        return Math.Round(100.0 * parts.Average(p => p.Rate), 2);
    }
}

/// <summary>A report file that cannot be read: too big, not XML, DTDs, or not a known format.</summary>
public sealed class TestReportException(string file, string message, Exception? inner = null)
    : Exception($"{file}: {message}", inner)
{
    public string File { get; } = file;
}

/// <param name="MaxFileBytes">Files above this are refused before parsing (default 50 MiB).</param>
/// <param name="MaxTests">Tests per file above this are refused (default 200 000).</param>
/// <param name="MaxMessageChars">Failure messages are cut to this length.</param>
public sealed record ReportLimits(long MaxFileBytes = 50L * 1024 * 1024, int MaxTests = 200_000, int MaxMessageChars = 4096)
{
    public static ReportLimits Default { get; } = new();
}
