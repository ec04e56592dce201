using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Core.Collaborators;

public static class CollaboratorServices
{
    /// <summary>Who works on a project with which role, and the invitations that lead there.</summary>
    public static IServiceCollection AddCollaborators(this IServiceCollection services)
    {
        services.AddSingleton<CollaboratorStore>();
        services.AddSingleton<CollaboratorService>();
        services.AddSingleton<InvitationStore>();
        services.AddSingleton<InvitationService>();
        return services;
    }
}
