namespace DevMentor.Core.Builds.Detection;

/// <summary>
/// Where detected commands put their outputs, relative to the workspace root. One hidden folder
/// keeps them apart from the repository's own files and easy to collect.
/// </summary>
public static class BuildOutputs
{
    public const string Root = ".devmentor-out";
    public const string TestResults = Root + "/test-results";
    public const string Publish = Root + "/publish";
    public const string Packages = Root + "/packages";

    public static IReadOnlyList<string> TestReportGlobs { get; } = ["**/*.trx", "**/junit*.xml", "**/TEST-*.xml"];

    public static IReadOnlyList<string> CoverageGlobs { get; } = ["**/coverage.cobertura.xml", "**/cobertura*.xml"];
}
