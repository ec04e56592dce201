using DevMentor.Core.Builds.Config;
using DevMentor.Core.Builds.Detection;

namespace DevMentor.Core.Builds;

/// <summary>
/// The one call the build steps make after clone: read <c>.devmentor.yml</c> (failing at once,
/// with line and column, before any command runs), detect, and merge.
/// </summary>
public static class BuildPlanner
{
    /// <exception cref="DevMentorConfigException">The config is invalid; nothing should run.</exception>
    public static async Task<BuildPlan> PlanAsync(string workspace, Toolchains toolchains, CancellationToken cancellationToken)
    {
        var config = await DevMentorConfigParser.LoadAsync(workspace, cancellationToken);
        var detected = config is { Detect: false }
            ? BuildPlan.Empty with { TestReports = BuildOutputs.TestReportGlobs, CoverageReports = BuildOutputs.CoverageGlobs }
            : new BuildDetector(toolchains).Detect(workspace);
        if (config is null)
        {
            return detected;
        }

        var plan = BuildPlanMerger.Merge(detected, config);
        if (plan.Image is { } image && !File.Exists(Path.Combine(workspace, image.File)))
        {
            throw new DevMentorConfigException(DevMentorConfigParser.FileName, [new ConfigProblem(1, 1, $"image.file '{image.File}' does not exist in the repository.")]);
        }

        return plan;
    }
}
