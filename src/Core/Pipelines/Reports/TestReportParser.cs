using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace DevMentor.Core.Pipelines.Reports;

/// <summary>What one report file turned out to be.</summary>
public sealed record ParsedReport(TestReport? Tests, CoverageReport? Coverage);

/// <summary>
/// Reads TRX, JUnit XML and Cobertura files, recognised by their root element. Reports come from
/// the repository's own commands, so they are untrusted input: a streaming XmlReader with DTDs
/// prohibited, no resolver and a size cap; anything else is a <see cref="TestReportException"/>
/// naming the file and position, never a crash of the step.
/// </summary>
public static class TestReportParser
{
    public static ParsedReport ParseFile(string path, ReportLimits? limits = null, string? displayName = null)
    {
        limits ??= ReportLimits.Default;
        var name = displayName ?? Path.GetFileName(path);
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new TestReportException(name, "the file does not exist.");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TestReportException(name, $"cannot be read: {e.Message}", e);
        }

        if (info.Length > limits.MaxFileBytes)
        {
            throw new TestReportException(name, $"is {info.Length} bytes, above the {limits.MaxFileBytes}-byte limit for test reports.");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return Parse(stream, name, limits);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TestReportException(name, $"cannot be read: {e.Message}", e);
        }
    }

    public static ParsedReport Parse(Stream stream, string name, ReportLimits? limits = null)
    {
        limits ??= ReportLimits.Default;
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            IgnoreWhitespace = true,
            MaxCharactersInDocument = limits.MaxFileBytes,
            CloseInput = false,
        };
        try
        {
            using var reader = XmlReader.Create(stream, settings);
            reader.MoveToContent();
            if (reader.NodeType != XmlNodeType.Element)
            {
                throw new TestReportException(name, "has no root element.");
            }

            return reader.LocalName switch
            {
                "TestRun" => new ParsedReport(ParseTrx(reader, name, limits), null),
                "testsuites" or "testsuite" => new ParsedReport(ParseJUnit(reader, name, limits), null),
                "coverage" => new ParsedReport(null, ParseCobertura(reader, name)),
                _ => throw new TestReportException(name, $"root element <{reader.LocalName}> is not TRX (<TestRun>), JUnit (<testsuites>/<testsuite>) or Cobertura (<coverage>)."),
            };
        }
        catch (XmlException e)
        {
            throw new TestReportException(name, $"is not well-formed XML (line {e.LineNumber}, position {e.LinePosition}): {e.Message}", e);
        }
    }

    private static TestReport ParseTrx(XmlReader reader, string name, ReportLimits limits)
    {
        var results = new List<(string TestId, string TestName, TestOutcome Outcome, long DurationMs, string? Message)>();
        var classes = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = new List<string>();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                var parent = path.Count > 0 ? path[^1] : null;
                // Only direct children of <Results>: MSTest's data rows nest more UnitTestResults under InnerResults.
                if (reader.LocalName == "UnitTestResult" && parent == "Results")
                {
                    var element = (XElement)XNode.ReadFrom(reader);
                    if (results.Count >= limits.MaxTests)
                    {
                        throw new TestReportException(name, $"has more than {limits.MaxTests} tests.");
                    }

                    results.Add(TrxResult(element, limits));
                    continue;
                }

                if (reader.LocalName == "UnitTest" && parent == "TestDefinitions")
                {
                    var element = (XElement)XNode.ReadFrom(reader);
                    var id = (string?)element.Attribute("id");
                    var className = element.Elements().FirstOrDefault(e => e.Name.LocalName == "TestMethod")?.Attribute("className")?.Value;
                    if (id is not null && className is not null)
                    {
                        classes[id] = StripAssemblyQualifier(className);
                    }

                    continue;
                }

                if (!reader.IsEmptyElement)
                {
                    path.Add(reader.LocalName);
                }
            }
            else if (reader.NodeType == XmlNodeType.EndElement && path.Count > 0)
            {
                path.RemoveAt(path.Count - 1);
            }

            reader.Read();
        }

        var tests = results.Select(r =>
        {
            var suite = classes.GetValueOrDefault(r.TestId, "");
            // xunit and MSTest name a test "Namespace.Class.Method(args)": the class is already the suite.
            var testName = suite.Length > 0 && r.TestName.StartsWith(suite + ".", StringComparison.Ordinal) ? r.TestName[(suite.Length + 1)..] : r.TestName;
            return new TestCaseResult(suite, testName, r.Outcome, r.DurationMs, r.Message);
        }).ToList();
        return new TestReport(name, TestReportFormat.Trx, tests);
    }

    private static (string TestId, string TestName, TestOutcome Outcome, long DurationMs, string? Message) TrxResult(XElement element, ReportLimits limits)
    {
        var outcome = ((string?)element.Attribute("outcome") ?? "").ToUpperInvariant() switch
        {
            "PASSED" or "PASSEDBUTRUNABORTED" or "WARNING" => TestOutcome.Passed,
            "NOTEXECUTED" or "INCONCLUSIVE" or "PENDING" or "NOTRUNNABLE" or "DISCONNECTED" => TestOutcome.Skipped,
            _ => TestOutcome.Failed, // Failed, Error, Timeout, Aborted, and anything unknown: never count it as a pass
        };
        var duration = TimeSpan.TryParse((string?)element.Attribute("duration"), CultureInfo.InvariantCulture, out var d) ? (long)d.TotalMilliseconds : 0;
        var output = element.Elements().FirstOrDefault(e => e.Name.LocalName == "Output");
        var message = output?.Elements().FirstOrDefault(e => e.Name.LocalName == "ErrorInfo")?.Elements().FirstOrDefault(e => e.Name.LocalName == "Message")?.Value;
        if (message is null && outcome == TestOutcome.Skipped)
        {
            // xunit writes the skip reason to StdOut.
            message = output?.Elements().FirstOrDefault(e => e.Name.LocalName == "StdOut")?.Value;
        }

        return ((string?)element.Attribute("testId") ?? "", (string?)element.Attribute("testName") ?? "", outcome, duration, Cap(message, limits));
    }

    private static TestReport ParseJUnit(XmlReader reader, string name, ReportLimits limits)
    {
        var tests = new List<TestCaseResult>();
        var suites = new List<string?>(); // testsuite names on the path; null for other elements
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                if (reader.LocalName == "testcase")
                {
                    var element = (XElement)XNode.ReadFrom(reader);
                    if (tests.Count >= limits.MaxTests)
                    {
                        throw new TestReportException(name, $"has more than {limits.MaxTests} tests.");
                    }

                    tests.Add(JUnitCase(element, suites, limits));
                    continue;
                }

                if (!reader.IsEmptyElement)
                {
                    suites.Add(reader.LocalName == "testsuite" ? reader.GetAttribute("name") ?? "" : null);
                }
            }
            else if (reader.NodeType == XmlNodeType.EndElement && suites.Count > 0)
            {
                suites.RemoveAt(suites.Count - 1);
            }

            reader.Read();
        }

        return new TestReport(name, TestReportFormat.JUnit, tests);
    }

    private static TestCaseResult JUnitCase(XElement element, List<string?> suites, ReportLimits limits)
    {
        var children = element.Elements().ToList();
        var failure = children.FirstOrDefault(e => e.Name.LocalName is "failure" or "error");
        var skipped = children.FirstOrDefault(e => e.Name.LocalName == "skipped");
        var outcome = failure is not null ? TestOutcome.Failed : skipped is not null ? TestOutcome.Skipped : TestOutcome.Passed;
        string? message = null;
        if (failure is not null)
        {
            message = (string?)failure.Attribute("message") is { Length: > 0 } m ? m : failure.Value.Trim();
        }
        else if (skipped is not null)
        {
            message = (string?)skipped.Attribute("message") ?? (skipped.Value.Trim() is { Length: > 0 } v ? v : null);
        }

        var classname = (string?)element.Attribute("classname") ?? "";
        var suitePath = string.Join(" > ", suites.Where(s => !string.IsNullOrEmpty(s)));
        // node --test's junit reporter writes classname="test" on every case: the enclosing
        // describe blocks (testsuite names) say more. Elsewhere (pytest, surefire, jest) the
        // classname is the most specific grouping.
        var suite = classname.Length > 0 && classname != "test" ? classname : suitePath.Length > 0 ? suitePath : classname;
        var seconds = ParseSeconds((string?)element.Attribute("time"));
        return new TestCaseResult(suite, (string?)element.Attribute("name") ?? "", outcome, (long)Math.Round(seconds * 1000), Cap(message, limits));
    }

    private static double ParseSeconds(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return 0;
        }

        // Some producers write thousands separators ("1,234.5").
        return double.TryParse(value.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s) && s >= 0 ? s : 0;
    }

    private static CoverageReport ParseCobertura(XmlReader reader, string name)
    {
        var lineRate = Rate(reader.GetAttribute("line-rate"));
        var branchRate = Rate(reader.GetAttribute("branch-rate"));
        var linesCovered = Count(reader.GetAttribute("lines-covered"));
        var linesValid = Count(reader.GetAttribute("lines-valid"));
        var branchesCovered = Count(reader.GetAttribute("branches-covered"));
        var branchesValid = Count(reader.GetAttribute("branches-valid"));
        if (linesValid is not null && linesCovered is not null)
        {
            return new CoverageReport(name, lineRate ?? Ratio(linesCovered.Value, linesValid.Value), branchRate ?? Ratio(branchesCovered ?? 0, branchesValid ?? 0),
                linesCovered.Value, linesValid.Value, branchesCovered ?? 0, branchesValid ?? 0);
        }

        // Older Cobertura writers omit the counts: count the class-level <line> elements (the
        // per-method <lines> repeat them).
        long covered = 0, valid = 0;
        var path = new List<string>();
        while (!reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element)
            {
                if (reader.LocalName == "line" && path.Count >= 2 && path[^1] == "lines" && path[^2] == "class")
                {
                    valid++;
                    if (Count(reader.GetAttribute("hits")) is > 0)
                    {
                        covered++;
                    }
                }

                if (!reader.IsEmptyElement)
                {
                    path.Add(reader.LocalName);
                }
            }
            else if (reader.NodeType == XmlNodeType.EndElement && path.Count > 0)
            {
                path.RemoveAt(path.Count - 1);
            }

            reader.Read();
        }

        return new CoverageReport(name, lineRate ?? Ratio(covered, valid), branchRate ?? 0, covered, valid, 0, 0);
    }

    private static double Ratio(long covered, long valid) => valid == 0 ? 0 : (double)covered / valid;

    private static double? Rate(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) && double.IsFinite(r) ? Math.Clamp(r, 0, 1) : null;

    private static long? Count(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0 ? n : null;

    private static string StripAssemblyQualifier(string className)
    {
        var comma = className.IndexOf(',', StringComparison.Ordinal);
        return comma > 0 ? className[..comma].Trim() : className;
    }

    private static string? Cap(string? message, ReportLimits limits)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }

        message = message.Trim();
        return message.Length <= limits.MaxMessageChars ? message : message[..limits.MaxMessageChars] + "…";
    }
}
