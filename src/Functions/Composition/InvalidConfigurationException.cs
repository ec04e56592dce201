namespace DevMentor.Functions.Composition;

/// <summary>Start-up stops with this; its message names every offending configuration key.</summary>
public sealed class InvalidConfigurationException(IReadOnlyList<string> problems)
    : Exception(string.Join(" ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
