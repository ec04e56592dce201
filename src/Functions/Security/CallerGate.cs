using DevMentor.Functions.Hosting;
using DevMentor.Functions.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace DevMentor.Functions.Security;

/// <summary>
/// Who may call a function: authentication (JWT bearer or API key, through the DevMentor policy
/// scheme), then the rule every function inherits (a signed-in caller, unless it is [AllowAnonymous])
/// and its named policy if it has one ([Authorize(Policy = "Admin")]). Project roles are the
/// services' business (ProjectAccess), not this gate's.
/// </summary>
public sealed class CallerGate(IAuthorizationService authorization)
{
    public static async ValueTask AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(SecuritySetup.Scheme);
        if (result.Succeeded)
        {
            context.User = result.Principal;
        }
    }

    /// <returns>The 401 or 403 to answer with, or null to go on.</returns>
    public async ValueTask<IResult?> AuthorizeAsync(HttpContext context, FunctionPolicy policy)
    {
        if (policy.AllowAnonymous && policy.Policy is null)
        {
            return null;
        }

        if (context.User.Identity?.IsAuthenticated != true)
        {
            // The handler sets the status and its WWW-Authenticate (Bearer error="invalid_token", …); the body is ours.
            await context.ChallengeAsync(SecuritySetup.Scheme);
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, type: ProblemTypes.Unauthorized, title: "Unauthorized",
                detail: "Sign in: send Authorization: Bearer <JWT from the Auth Service> or X-Api-Key: <key>.");
        }

        if (policy.Policy is { } name && !(await authorization.AuthorizeAsync(context.User, context, name)).Succeeded)
        {
            await context.ForbidAsync(SecuritySetup.Scheme);
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, type: ProblemTypes.Forbidden, title: "Forbidden",
                detail: name == SecuritySetup.AdminPolicy ? "Only platform admins may do this." : $"The {name} policy refuses this caller.");
        }

        return null;
    }
}
