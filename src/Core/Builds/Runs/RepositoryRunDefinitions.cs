using DevMentor.Core.Pipelines;
using DevMentor.Core.Projects;

namespace DevMentor.Core.Builds.Runs;

/// <summary>
/// A run of a project with a repository starts with one step, clone, which plans the rest;
/// projects without a repository keep the engine's default definition.
/// </summary>
public sealed class RepositoryRunDefinitions(ProjectReader projects) : IRunDefinitionSource
{
    /// <summary>Clone: network trouble is retried; a bad commit or config is not (exit 1).</summary>
    public static readonly int DefaultCloneTimeoutSeconds = 15 * 60;

    public async Task<PipelineDefinition?> DefinitionForAsync(StartRunRequest request, CancellationToken cancellationToken)
    {
        var snapshot = await projects.GetAsync(request.ProjectId.ToString(), cancellationToken);
        return snapshot?.Project.Repository is { } repository ? ForRepository(repository, request.Trigger) : null;
    }

    public static PipelineDefinition ForRepository(ProjectRepository repository, string trigger) => new(
    [
        new StepDefinition(PlanSteps.CloneStep, [], DefaultCloneTimeoutSeconds, Uses: PlanSteps.CloneStep, With: new Dictionary<string, string>
        {
            ["url"] = repository.CloneUrl,
            ["branch"] = repository.DefaultBranch,
            ["event"] = trigger,
        }),
    ]);
}
