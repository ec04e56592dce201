using Microsoft.AspNetCore.Authorization;

namespace DevMentor.Functions.Security;

/// <summary>
/// The rule every function inherits: a signed-in caller. Requests that match no function (unknown
/// route, wrong method) pass, so they get their honest 404/405 instead of 401: the function table
/// is the product's published contract (DESIGN.md), so a 404 for a path no function has tells a
/// stranger nothing, and no project's existence shows through it. Every real function has a name
/// (the catalog insists); the framework's 404/405 endpoints have none.
/// </summary>
public sealed class CallerRequired : AuthorizationHandler<CallerRequired>, IAuthorizationRequirement
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, CallerRequired requirement)
    {
        var unrouted = context.Resource is HttpContext http && http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>() is null;
        if (unrouted || context.User.Identity?.IsAuthenticated == true)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
