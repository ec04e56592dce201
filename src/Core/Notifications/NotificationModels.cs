namespace DevMentor.Core.Notifications;

public static class NotificationEvents
{
    public const string RunFailed = "run.failed";
    public const string RunFixed = "run.fixed";
    public const string DeploymentSucceeded = "deployment.succeeded";
    public const string DeploymentFailed = "deployment.failed";
    public const string DeploymentRolledBack = "deployment.rolled_back";
    public const string TaskAssigned = "task.assigned";
    public const string ApprovalNeeded = "approval.needed";

    public static readonly IReadOnlyList<string> All = [RunFailed, RunFixed, DeploymentSucceeded, DeploymentFailed, DeploymentRolledBack, TaskAssigned, ApprovalNeeded];
}

public static class NotificationKinds
{
    public const string Webhook = "webhook";
    public const string Slack = "slack";
    public const string Email = "email";

    public static readonly IReadOnlyList<string> All = [Webhook, Slack, Email];
}

/// <summary>Notifications:* settings.</summary>
public sealed record NotificationOptions
{
    public int MaxAttempts { get; init; } = 8;
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Failed deliveries in a row (across events) after which a target is disabled.</summary>
    public int DisableAfterFailures { get; init; } = 10;

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How far back every detection pass looks again (rows whose transaction committed late).</summary>
    public TimeSpan Lookback { get; init; } = TimeSpan.FromMinutes(10);

    public bool WorkerEnabled { get; init; } = true;

    /// <summary>Lets webhook and Slack targets reach loopback, private, link-local and metadata addresses (off: the SSRF filter, ADR 0036).</summary>
    public bool AllowPrivateTargets { get; init; }
    public SmtpOptions Smtp { get; init; } = new();
}

public sealed record SmtpOptions
{
    public string? Host { get; init; }
    public int Port { get; init; } = 25;
    public string From { get; init; } = "devmentor@localhost";
    public string? User { get; init; }
    public string? Password { get; init; }

    /// <summary>STARTTLS when the server offers it (None = plain, for a local relay).</summary>
    public bool UseTls { get; init; } = true;
}

/// <param name="Target">What may be shown: an email address, or a webhook/Slack URL's scheme and host with a hint of the rest.</param>
/// <param name="SecretHint">Webhooks: the last characters of the signing secret.</param>
public sealed record NotificationSubscription(
    Guid Id, Guid ProjectId, string Kind, string Target, IReadOnlyList<string> Events, bool Enabled, int ConsecutiveFailures,
    string? DisabledReason, DateTimeOffset CreatedAt, string? SecretHint);

/// <summary>An outbox row claimed for one attempt.</summary>
/// <param name="Target">The target to send to: plaintext only in memory, once the worker decrypted <paramref name="TargetProtected"/>.</param>
/// <param name="TargetProtected">The stored Data Protection payload of the full URL (null for email and for rows from before 0024).</param>
public sealed record ClaimedNotification(
    Guid Id, int Attempt, string Event, string PayloadJson, Guid SubscriptionId, string Kind, string Target, string? Secret, Guid ProjectId,
    string? TargetProtected = null, string? SecretProtected = null);

/// <summary>A subscription still holding plaintext from before migration 0024.</summary>
public sealed record LegacyTarget(Guid Id, string Kind, string Target, string? Secret);

public sealed record NotificationAttempt(int Attempt, DateTimeOffset At, bool Succeeded, int? StatusCode, string? Error, double DurationMs);

public sealed record NotificationDelivery(
    Guid Id, string Event, string Status, int Attempts, DateTimeOffset OccurredAt, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt,
    string? LastError, IReadOnlyList<NotificationAttempt> AttemptLog);

/// <summary>What one attempt came to.</summary>
public sealed record SendResult(bool Succeeded, int? StatusCode, string? Error);
