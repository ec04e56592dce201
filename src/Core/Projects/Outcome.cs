namespace DevMentor.Core.Projects;

public enum OutcomeKind
{
    Ok,
    Created,
    NotFound,
    Forbidden,
    Conflict,
    PreconditionFailed,
    Invalid,
    Unprocessable,
    /// <summary>A service this call depends on (GitHub) refused or failed; nothing was changed.</summary>
    UpstreamFailed,
}

// Factories on the generic type read best at call sites (Outcome<Project>.Ok(p)).
#pragma warning disable CA1000
/// <summary>What a use case did, for the HTTP layer to map; failures carry a detail for the problem answer.</summary>
public sealed record Outcome<T>(OutcomeKind Kind, T? Value = default, string? Detail = null, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public bool Succeeded => Kind is OutcomeKind.Ok or OutcomeKind.Created;

    public static Outcome<T> Ok(T value) => new(OutcomeKind.Ok, value);

    public static Outcome<T> Fail(OutcomeKind kind, string detail) => new(kind, default, detail);

    public static Outcome<T> Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new(OutcomeKind.Invalid, default, "One or more fields are invalid.", errors);
}
#pragma warning restore CA1000
