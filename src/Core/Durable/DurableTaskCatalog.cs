using Microsoft.DurableTask;

namespace DevMentor.Core.Durable;

/// <summary>Every orchestrator and activity the app registered; names are unique across both kinds.</summary>
public sealed class DurableTaskCatalog
{
    public DurableTaskCatalog(IEnumerable<DurableTaskDefinition> definitions)
    {
        Definitions = definitions.DistinctBy(d => d.Type).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        var duplicate = Definitions.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Durable task name '{duplicate.Key}' is used by {string.Join(" and ", duplicate.Select(d => d.Type.Name))}.");
        }
    }

    public IReadOnlyList<DurableTaskDefinition> Definitions { get; }

    /// <summary>Adds every task to a worker's registry; activities are created from the worker's services per call.</summary>
    public void Register(DurableTaskRegistry registry)
    {
        foreach (var definition in Definitions)
        {
            if (definition.Kind == DurableTaskKind.Orchestrator)
            {
                registry.AddOrchestrator(definition.Name, definition.Type);
            }
            else
            {
                registry.AddActivity(definition.Name, definition.Type);
            }
        }
    }
}
