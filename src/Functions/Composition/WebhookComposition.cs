using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Core.Scheduling;
using DevMentor.Core.Tasks;

namespace DevMentor.Functions.Composition;

public static class WebhookComposition
{
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        var apiBase = configuration["GitHub:ApiBaseUrl"];
        if (!string.IsNullOrWhiteSpace(apiBase) && !Uri.TryCreate(apiBase.TrimEnd('/') + "/", UriKind.Absolute, out _))
        {
            throw new InvalidConfigurationException([$"GitHub:ApiBaseUrl: '{apiBase}' is not an absolute URL."]);
        }

        services.AddSingleton(new GitHubOptions
        {
            WebhookSecret = configuration["GitHub:WebhookSecret"],
            ApiBaseUrl = string.IsNullOrWhiteSpace(apiBase) ? new GitHubOptions().ApiBaseUrl : new Uri(apiBase.TrimEnd('/') + "/"),
            Token = configuration["GitHub:Token"],
        });

        services.AddSingleton<WebhookDeliveryStore>();
        services.AddSingleton<RepositoryPushStore>();
        services.AddSingleton<ProjectTaskStore>();
        services.AddSingleton<WebhookProcessor>();
        services.AddSingleton<WebhookWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookWorker>());
        services.AddSingleton<ITimerFunction, WebhookRedeliveryTimer>();
        services.AddSingleton<IWebhookSecretSource, NoProjectWebhookSecrets>();
        services.AddSingleton<GitHubWebhookIntake>();
        services.AddSingleton<IWebhookEventHandler, GitHubEventHandler>();

        // Replaced by the projects and pipeline adapters once those features are wired in.
        services.AddSingleton<IRepositoryProjects, NoLinkedProjects>();
        services.AddSingleton<IWebhookBuildStarter, NoPipeline>();
        return services;
    }

    private sealed class NoLinkedProjects : IRepositoryProjects
    {
        public Task<IReadOnlyList<LinkedProject>> FindAsync(string provider, string fullName, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<LinkedProject>>([]);
    }

    private sealed class NoPipeline : IWebhookBuildStarter
    {
        public Task<Guid> StartAsync(WebhookBuildRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException("The pipeline is not wired in yet.");
    }
}
