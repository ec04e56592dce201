using System.Reflection;
using Microsoft.DurableTask;

namespace DevMentor.Core.Durable;

public enum DurableTaskKind
{
    Orchestrator,
    Activity,
}

/// <summary>
/// One orchestrator or activity of the app: a plain Durable Task SDK class
/// (<see cref="TaskOrchestrator{TInput,TOutput}"/> or <see cref="TaskActivity{TInput,TOutput}"/>) that both hosts run.
/// The standalone worker registers <see cref="Type"/> under <see cref="Name"/>; under the Functions host a hand-written
/// <c>[Function(Name)]</c> wrapper calls it (the Durable source generator is not served here).
/// </summary>
/// <param name="Name">The task name: the class's <c>[DurableTask("…")]</c> name, else its type name.</param>
public sealed record DurableTaskDefinition(string Name, DurableTaskKind Kind, Type Type, Type InputType, Type OutputType)
{
    public static DurableTaskDefinition Of(Type type)
    {
        var kind = typeof(ITaskOrchestrator).IsAssignableFrom(type) ? DurableTaskKind.Orchestrator
            : typeof(ITaskActivity).IsAssignableFrom(type) ? DurableTaskKind.Activity
            : throw new ArgumentException($"{type.Name} is neither an orchestrator nor an activity.", nameof(type));
        var generic = kind == DurableTaskKind.Orchestrator ? typeof(TaskOrchestrator<,>) : typeof(TaskActivity<,>);
        var baseType = type.BaseType;
        while (baseType is not null && !(baseType.IsGenericType && baseType.GetGenericTypeDefinition() == generic))
        {
            baseType = baseType.BaseType;
        }

        if (baseType is null)
        {
            throw new ArgumentException($"{type.Name} must derive from {generic.Name}: its input and output types are what the wrappers are checked against.", nameof(type));
        }

        var name = type.GetCustomAttribute<DurableTaskAttribute>()?.Name.Name ?? type.Name;
        var arguments = baseType.GetGenericArguments();
        return new DurableTaskDefinition(name, kind, type, arguments[0], arguments[1]);
    }
}
