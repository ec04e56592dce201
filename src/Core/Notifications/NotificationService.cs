using System.Security.Cryptography;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Notifications;

public sealed record NewSubscription(string? Kind, string? Target, IReadOnlyList<string>? Events, string? Secret);

/// <param name="Secret">Webhooks: a signing secret the service generated, returned only by the call that created it (one the caller chose is never echoed).</param>
public sealed record CreatedSubscription(NotificationSubscription Subscription, string? Secret);

/// <summary>
/// A project's notification targets: maintainers and owners manage them and see their deliveries.
/// Webhook and Slack URLs must not reach internal addresses (<see cref="TargetAddressPolicy"/>);
/// their full URL and signing secret are stored encrypted (<see cref="TargetSecrets"/>).
/// </summary>
public sealed class NotificationService(ProjectAccess access, NotificationStore store, TargetSecrets secrets, TargetAddressPolicy addresses)
{
    public async Task<Outcome<CreatedSubscription>> AddAsync(Caller caller, string idOrSlug, NewSubscription request, CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (errors.Count > 0)
        {
            return Outcome<CreatedSubscription>.Invalid(errors);
        }

        var (project, denied) = await AuthorizeAsync<CreatedSubscription>(caller, idOrSlug, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        var target = request.Target!.Trim();
        var overHttp = request.Kind != NotificationKinds.Email;
        if (overHttp && await addresses.CheckAsync(new Uri(target), cancellationToken) is { } refused)
        {
            return Outcome<CreatedSubscription>.Invalid(new Dictionary<string, string[]> { ["target"] = [$"Refused: {refused}."] });
        }

        var generated = request.Kind == NotificationKinds.Webhook && request.Secret is null ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) : null;
        var secret = request.Kind == NotificationKinds.Webhook ? request.Secret ?? generated : null;
        var subscription = await store.AddAsync(project!.Id, request.Kind!, overHttp ? TargetSecrets.RedactUrl(target) : target,
            overHttp ? secrets.Protect(target) : null, secret is null ? null : secrets.Protect(secret), secret is null ? null : TargetSecrets.Hint(secret),
            request.Events!.Distinct().ToList(), caller.UserId, cancellationToken);
        return new Outcome<CreatedSubscription>(OutcomeKind.Created, new CreatedSubscription(subscription, generated));
    }

    public async Task<Outcome<IReadOnlyList<NotificationSubscription>>> ListAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var (project, denied) = await AuthorizeAsync<IReadOnlyList<NotificationSubscription>>(caller, idOrSlug, cancellationToken);
        return denied ?? Outcome<IReadOnlyList<NotificationSubscription>>.Ok(await store.ListAsync(project!.Id, cancellationToken));
    }

    public async Task<Outcome<bool>> DeleteAsync(Caller caller, string idOrSlug, Guid id, CancellationToken cancellationToken)
    {
        var (project, denied) = await AuthorizeAsync<bool>(caller, idOrSlug, cancellationToken);
        return denied ?? (await store.DeleteAsync(project!.Id, id, cancellationToken) ? Outcome<bool>.Ok(true) : Missing<bool>(id));
    }

    public async Task<Outcome<bool>> EnableAsync(Caller caller, string idOrSlug, Guid id, CancellationToken cancellationToken)
    {
        var (project, denied) = await AuthorizeAsync<bool>(caller, idOrSlug, cancellationToken);
        return denied ?? (await store.EnableAsync(project!.Id, id, cancellationToken) ? Outcome<bool>.Ok(true) : Missing<bool>(id));
    }

    public async Task<Outcome<IReadOnlyList<NotificationDelivery>>> DeliveriesAsync(Caller caller, string idOrSlug, Guid id, CancellationToken cancellationToken)
    {
        var (project, denied) = await AuthorizeAsync<IReadOnlyList<NotificationDelivery>>(caller, idOrSlug, cancellationToken);
        if (denied is not null)
        {
            return denied;
        }

        return await store.DeliveriesAsync(project!.Id, id, 100, cancellationToken) is { } items
            ? Outcome<IReadOnlyList<NotificationDelivery>>.Ok(items)
            : Missing<IReadOnlyList<NotificationDelivery>>(id);
    }

    private static Outcome<T> Missing<T>(Guid id) => Outcome<T>.Fail(OutcomeKind.NotFound, $"No notification target {id} on this project.");

    private async Task<(Project? Project, Outcome<T>? Denied)> AuthorizeAsync<T>(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Update, cancellationToken);
        return allowed.Outcome switch
        {
            AccessOutcome.Allowed => (allowed.Project, null),
            AccessOutcome.Forbidden => (null, Outcome<T>.Fail(OutcomeKind.Forbidden, "Maintainers and owners manage notifications.")),
            AccessOutcome.Archived => (null, Outcome<T>.Fail(OutcomeKind.Conflict, "The project is archived and read-only.")),
            _ => (null, Outcome<T>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'.")),
        };
    }

    private static Dictionary<string, string[]> Validate(NewSubscription r)
    {
        var errors = new Dictionary<string, string[]>();
        if (r.Kind is null || !NotificationKinds.All.Contains(r.Kind))
        {
            errors["kind"] = [$"One of: {string.Join(", ", NotificationKinds.All)}."];
        }
        else if (r.Kind == NotificationKinds.Email)
        {
            if (r.Target is not { Length: > 2 and <= 254 } || !MimeKit.MailboxAddress.TryParse(r.Target.Trim(), out var address) || !address.Address.Contains('@', StringComparison.Ordinal))
            {
                errors["target"] = ["An email address."];
            }
        }
        else if (r.Target is not { Length: <= 2048 } || !Uri.TryCreate(r.Target.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
        {
            errors["target"] = ["An absolute http(s) URL without credentials in it."];
        }

        if (r.Events is not { Count: > 0 } || r.Events.Any(e => !NotificationEvents.All.Contains(e)))
        {
            errors["events"] = [$"A non-empty list of: {string.Join(", ", NotificationEvents.All)}."];
        }

        if (r.Secret is not null && (r.Kind != NotificationKinds.Webhook || r.Secret.Length is < 16 or > 256))
        {
            errors["secret"] = ["Webhooks only: 16 to 256 characters (leave it out to have one generated)."];
        }

        return errors;
    }
}
