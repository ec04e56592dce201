using Microsoft.AspNetCore.Authorization;

namespace DevMentor.Functions.Security;

/// <summary>
/// The rule every function inherits: a signed-in caller. Requests that match no function (unknown
/// route, wrong method) pass, so they get their honest 404/405 instead of 401; the route table
/// is public anyway (the OpenAPI document). Every real function has a name (the catalog insists),
/// the framework's 404/405 endpoints have none.
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
