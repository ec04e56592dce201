using System.Text;
using DevMentor.Core.Pipelines.Reports;
using DevMentor.Core.Tests.Builds;

namespace DevMentor.Core.Tests.Pipelines;

public sealed class TestReportParserTests
{
    private static ParsedReport Parse(string xml, ReportLimits? limits = null) =>
        TestReportParser.Parse(new MemoryStream(Encoding.UTF8.GetBytes(xml)), "report.xml", limits);

    [Fact]
    public void Trx_from_dotnet_test_gives_suite_name_outcome_duration_and_message()
    {
        var report = Parse(ReportSamples.Trx).Tests!;

        Assert.Equal(TestReportFormat.Trx, report.Format);
        Assert.Equal((3, 1, 1), (report.Passed, report.Failed, report.Skipped));
        var failed = report.Tests.Single(t => t.Outcome == TestOutcome.Failed);
        Assert.Equal(new TestCaseResult("Calc.Tests.CalculatorTests", "Even_numbers", TestOutcome.Failed, 1, "3 should be even"), failed);
        var skipped = report.Tests.Single(t => t.Outcome == TestOutcome.Skipped);
        Assert.Equal(("Skipped", "not yet"), (skipped.Name, skipped.Message));
        Assert.Equal(97, report.Tests.Single(t => t.Name == "Divides").DurationMs);
        Assert.All(report.Tests.Where(t => t.Outcome == TestOutcome.Passed), t => Assert.Null(t.Message));
    }

    [Fact]
    public void Node_junit_with_top_level_cases_and_describe_blocks()
    {
        var report = Parse(ReportSamples.NodeJUnit).Tests!;

        Assert.Equal(TestReportFormat.JUnit, report.Format);
        Assert.Equal(["adds", "fails", "skipped one", "mul"], report.Tests.Select(t => t.Name));
        Assert.Equal((2, 1, 1), (report.Passed, report.Failed, report.Skipped));
        Assert.Equal("2 == 3", report.Tests[1].Message);
        Assert.Equal("math", report.Tests[3].Suite); // classname="test" is node's placeholder; the describe block names the suite
        Assert.Equal("test", report.Tests[0].Suite);
        Assert.Equal(2, report.Tests[0].DurationMs);
    }

    [Fact]
    public void Junit_with_a_single_testsuite_root_and_error_and_skipped_elements()
    {
        const string xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="1.5">
              <testcase classname="tests.test_math" name="test_add" time="0.001"/>
              <testcase classname="tests.test_math" name="test_div" time="1,234.5">
                <failure message="AssertionError: assert 1 == 2">def test_div(): ...</failure>
              </testcase>
              <testcase classname="tests.test_io" name="test_open" time="0.2">
                <error>FileNotFoundError: x
            second line</error>
              </testcase>
              <testcase classname="tests.test_io" name="test_net" time="">
                <skipped message="no network"/>
                <system-out>ignored</system-out>
              </testcase>
            </testsuite>
            """;
        var tests = Parse(xml).Tests!.Tests;

        Assert.Equal(
            [
                new TestCaseResult("tests.test_math", "test_add", TestOutcome.Passed, 1, null),
                new TestCaseResult("tests.test_math", "test_div", TestOutcome.Failed, 1_234_500, "AssertionError: assert 1 == 2"),
                new TestCaseResult("tests.test_io", "test_open", TestOutcome.Failed, 200, "FileNotFoundError: x\nsecond line"),
                new TestCaseResult("tests.test_io", "test_net", TestOutcome.Skipped, 0, "no network"),
            ],
            tests);
    }

    [Fact]
    public void Nested_testsuites_without_classname_join_their_names()
    {
        var tests = Parse("<testsuites><testsuite name='a'><testsuite name='b'><testcase name='t'/></testsuite></testsuite></testsuites>").Tests!.Tests;
        Assert.Equal("a > b", tests.Single().Suite);
    }

    [Fact]
    public void Cobertura_from_coverlet()
    {
        var coverage = Parse(ReportSamples.Cobertura).Coverage!;
        Assert.Equal((1.0, 1.0, 3L, 3L, 2L, 2L), (coverage.LineRate, coverage.BranchRate, coverage.LinesCovered, coverage.LinesValid, coverage.BranchesCovered, coverage.BranchesValid));
    }

    [Fact]
    public void Cobertura_without_counts_counts_class_lines_once()
    {
        const string xml = """
            <coverage line-rate="0.5" branch-rate="0">
              <packages><package name="p"><classes><class name="C">
                <methods><method name="M"><lines><line number="1" hits="1"/></lines></method></methods>
                <lines><line number="1" hits="1"/><line number="2" hits="0"/><line number="3" hits="4"/><line number="4" hits="0"/></lines>
              </class></classes></package></packages>
            </coverage>
            """;
        var coverage = Parse(xml).Coverage!;
        Assert.Equal((2L, 4L, 0.5), (coverage.LinesCovered, coverage.LinesValid, coverage.LineRate));
    }

    [Fact]
    public void Summary_sums_counts_and_weights_coverage_by_lines()
    {
        var tests = Parse(ReportSamples.Trx).Tests!;
        var node = Parse(ReportSamples.NodeJUnit).Tests!;
        var small = new CoverageReport("a", 1, 1, 1, 1, 0, 0);
        var big = new CoverageReport("b", 0.5, 0.25, 50, 100, 1, 4);

        var summary = TestSummary.From([tests, node], [small, big]);

        Assert.Equal((5, 2, 2), (summary.Passed, summary.Failed, summary.Skipped));
        Assert.Equal(50.5, summary.Coverage); // 51/101 lines, not the mean of 100% and 50%
        Assert.Equal(25, summary.BranchCoverage);
        Assert.Equal(9, summary.Items.Count);
        Assert.Null(TestSummary.From([tests], []).Coverage);
    }

    [Theory]
    [InlineData("<testsuites><testcase name='x'>", "not well-formed XML")]
    [InlineData("not xml at all", "not well-formed XML")]
    [InlineData("<html><body/></html>", "root element <html> is not TRX")]
    [InlineData("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>]><testsuites>&lol;</testsuites>", "DTD")]
    [InlineData("<!DOCTYPE x SYSTEM 'file:///etc/passwd'><testsuites/>", "DTD")]
    public void Malformed_or_hostile_files_fail_clearly(string xml, string message)
    {
        var error = Assert.Throws<TestReportException>(() => Parse(xml));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("report.xml: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_on_size_tests_and_message_length()
    {
        var many = "<testsuites>" + string.Concat(Enumerable.Repeat("<testcase name='t'/>", 11)) + "</testsuites>";
        Assert.Contains("more than 10 tests", Assert.Throws<TestReportException>(() => Parse(many, new ReportLimits(MaxTests: 10))).Message, StringComparison.Ordinal);

        var huge = "<testsuites>" + new string(' ', 5000) + "</testsuites>";
        Assert.Throws<TestReportException>(() => Parse(huge, new ReportLimits(MaxFileBytes: 1000)));

        var longMessage = $"<testsuites><testcase name='t'><failure message='{new string('x', 100)}'/></testcase></testsuites>";
        Assert.Equal(new string('x', 10) + "…", Parse(longMessage, new ReportLimits(MaxMessageChars: 10)).Tests!.Tests[0].Message);
    }

    [Fact]
    public void Files_above_the_size_cap_are_refused_before_reading()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "<testsuites>" + new string(' ', 2000) + "</testsuites>");
            var error = Assert.Throws<TestReportException>(() => TestReportParser.ParseFile(path, new ReportLimits(MaxFileBytes: 1000)));
            Assert.Contains("above the 1000-byte limit", error.Message, StringComparison.Ordinal);
            Assert.Contains("does not exist", Assert.Throws<TestReportException>(() => TestReportParser.ParseFile(path + ".missing")).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Collector_finds_reports_by_glob_skips_duplicates_and_symlinks_and_keeps_problems()
    {
        using var ws = new TempWorkspace();
        ws.With(".devmentor-out/test-results/run.trx", ReportSamples.Trx)
            .With(".devmentor-out/test-results/guid/coverage.cobertura.xml", ReportSamples.Cobertura)
            .With(".devmentor-out/test-results/run/In/vm/coverage.cobertura.xml", ReportSamples.Cobertura) // dotnet test's attachment copy
            .With("reports/junit.xml", ReportSamples.NodeJUnit)
            .With("reports/junit-broken.xml", "<testsuites>")
            .With("node_modules/some-lib/fixtures/junit.xml", ReportSamples.NodeJUnit)
            .With(".venv/lib/site/junit-x.xml", ReportSamples.NodeJUnit);
        File.CreateSymbolicLink(Path.Combine(ws.Root, "reports", "junit-link.xml"), Path.Combine(ws.Root, "reports", "junit.xml"));

        var collected = TestReportCollector.Collect(ws.Root, ["**/*.trx", "**/junit*.xml"], ["**/coverage.cobertura.xml"]);

        Assert.Equal([".devmentor-out/test-results/run.trx", "reports/junit.xml"], collected.Tests.Select(t => t.File).Order(StringComparer.Ordinal));
        Assert.Single(collected.Coverage);
        Assert.Equal("reports/junit-broken.xml", collected.Problems.Single().File);
        var summary = collected.Summary;
        Assert.Equal((5, 2, 2, 100.0), (summary.Passed, summary.Failed, summary.Skipped, summary.Coverage));
    }
}
