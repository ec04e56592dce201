using DevMentor.Core.Notifications;
using DevMentor.Core.Security;
using DevMentor.Core.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using DevMentor.Functions.Notifications;

namespace DevMentor.Functions.Composition;

/// <summary>Notification targets, the outbox worker and its senders (Notifications:* settings).</summary>
public static class NotificationComposition
{
    public static IServiceCollection AddNotifications(this IServiceCollection services, IConfiguration configuration, ServiceSettings service)
    {
        var problems = new List<string>();
        var options = new NotificationOptions
        {
            MaxAttempts = SettingValues.Int(configuration, "Notifications:MaxAttempts", 8, 1, 100, problems),
            FirstRetryDelay = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Notifications:FirstRetryMilliseconds", 5000, 10, 3_600_000, problems)),
            DisableAfterFailures = SettingValues.Int(configuration, "Notifications:DisableAfterFailures", 10, 1, 1000, problems),
            PollInterval = TimeSpan.FromMilliseconds(SettingValues.Int(configuration, "Notifications:PollMilliseconds", 500, 10, 60_000, problems)),
            RequestTimeout = TimeSpan.FromSeconds(SettingValues.Int(configuration, "Notifications:TimeoutSeconds", 10, 1, 300, problems)),
            WorkerEnabled = SettingValues.Bool(configuration, "Notifications:Worker:Enabled", !service.UnderFunctionsHost, problems),
            AllowPrivateTargets = SettingValues.Bool(configuration, "Notifications:AllowPrivateTargets", false, problems),
            Smtp = new SmtpOptions
            {
                Host = configuration["Notifications:Smtp:Host"] is { Length: > 0 } host ? host : null,
                Port = SettingValues.Int(configuration, "Notifications:Smtp:Port", 25, 1, 65535, problems),
                From = configuration["Notifications:Smtp:From"] is { Length: > 0 } from ? from : "devmentor@localhost",
                User = configuration["Notifications:Smtp:User"] is { Length: > 0 } user ? user : null,
                Password = configuration["Notifications:Smtp:Password"],
                UseTls = SettingValues.Bool(configuration, "Notifications:Smtp:UseTls", true, problems),
            },
        };
        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        services.AddSingleton(options);
        var addresses = new TargetAddressPolicy(options.AllowPrivateTargets);
        services.AddSingleton(addresses);

        // Target URLs carry credentials (Slack's path is one): no logging handler writes them out, redirects are
        // not followed and every connection goes through the SSRF filter; no proxy (it would connect instead).
        services.AddHttpClient(NotificationSender.HttpClientName, c => c.Timeout = options.RequestTimeout + TimeSpan.FromSeconds(1))
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseProxy = false,
                ConnectCallback = addresses.ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            });

        // Target secrets are encrypted with ASP.NET Core Data Protection; its key ring lives in the blob store (ADR 0036).
        services.AddDataProtection().SetApplicationName("DevMentor");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new BlobXmlRepository(sp.GetRequiredService<IBlobStore>())));
        services.AddSingleton<TargetSecrets>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Add(NotificationsJsonContext.Default));
        services.AddSingleton<NotificationStore>();
        services.AddSingleton<NotificationSender>();
        services.AddSingleton<NotificationService>();
        services.AddSingleton<NotificationWorker>();
        if (options.WorkerEnabled)
        {
            services.AddHostedService(sp => sp.GetRequiredService<NotificationWorker>());
        }

        return services;
    }
}
