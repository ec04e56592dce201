using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.GitLab;
using DevMentor.Core.Tasks;

namespace DevMentor.Functions.Composition;

public static class TaskComposition
{
    /// <summary>Tasks and their two-way sync with GitHub and GitLab issues (the providers' clients come from AddWebhooks).</summary>
    public static IServiceCollection AddTasks(this IServiceCollection services)
    {
        services.AddSingleton<ProjectTaskStore>();
        services.AddSingleton<IIssueTracker, GitHubIssueTracker>();
        services.AddSingleton<IIssueTracker, GitLabIssueTracker>();
        services.AddSingleton<TaskSyncService>();
        services.AddSingleton<TaskService>();
        return services;
    }

    /// <summary>Collaborators, invitations and the activity feed (its rows come from triggers, migration 0017).</summary>
    public static IServiceCollection AddCollaboration(this IServiceCollection services)
    {
        DevMentor.Core.Collaborators.CollaboratorServices.AddCollaborators(services);
        services.AddSingleton<DevMentor.Core.Activity.ActivityFeed>();
        return services;
    }
}
