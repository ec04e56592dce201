namespace DevMentor.Core.Pipelines;

/// <summary>
/// The definition of a run started without one: for a project with a repository, the clone step
/// that plans the rest (see Builds/Runs). Null falls back to <see cref="PipelineOptions.DefaultDefinition"/>.
/// </summary>
public interface IRunDefinitionSource
{
    Task<PipelineDefinition?> DefinitionForAsync(StartRunRequest request, CancellationToken cancellationToken);
}
