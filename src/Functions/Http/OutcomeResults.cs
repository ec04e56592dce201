using DevMentor.Core.Projects;

namespace DevMentor.Functions.Http;

/// <summary>Maps a failed use-case outcome to its problem+json answer.</summary>
public static class OutcomeResults
{
    public static IResult Problem<T>(Outcome<T> outcome)
    {
        if (outcome.Kind == OutcomeKind.Invalid)
        {
            return TypedResults.ValidationProblem(
                outcome.Errors!.ToDictionary(e => e.Key, e => e.Value),
                detail: outcome.Detail,
                title: "Validation failed",
                type: ProblemTypes.ValidationFailed);
        }

        var (status, type, title) = outcome.Kind switch
        {
            OutcomeKind.NotFound => (StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found"),
            OutcomeKind.Forbidden => (StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "Forbidden"),
            OutcomeKind.Conflict => (StatusCodes.Status409Conflict, ProblemTypes.Conflict, "Conflict"),
            OutcomeKind.PreconditionFailed => (StatusCodes.Status412PreconditionFailed, ProblemTypes.PreconditionFailed, "Precondition failed"),
            OutcomeKind.Unprocessable => (StatusCodes.Status422UnprocessableEntity, ProblemTypes.Unprocessable, "Unprocessable request"),
            OutcomeKind.UpstreamFailed => (StatusCodes.Status502BadGateway, ProblemTypes.Unavailable, "GitHub refused or failed"),
            _ => (StatusCodes.Status500InternalServerError, ProblemTypes.Internal, "Unexpected outcome"),
        };
        return TypedResults.Problem(statusCode: status, type: type, title: title, detail: outcome.Detail);
    }
}
