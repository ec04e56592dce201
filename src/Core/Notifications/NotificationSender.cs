using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace DevMentor.Core.Notifications;

/// <summary>
/// Sends one notification to its target: a signed webhook (the JSON payload, HMAC-SHA256 of the
/// body under the subscription's secret in X-Hub-Signature-256 as GitHub signs), a Slack-compatible
/// incoming webhook (<c>{"text": …}</c>), or an email over SMTP (MailKit). Any 2xx (or an accepted
/// message) is a success; anything else, a timeout or a refused connection is a failure to retry.
/// Redirects are not followed (a 3xx is a failure): a target could otherwise bounce the request to
/// an internal address; the HTTP client's connection callback refuses those (<see cref="TargetAddressPolicy"/>).
/// </summary>
public sealed class NotificationSender(IHttpClientFactory httpClients, NotificationOptions options)
{
    public const string HttpClientName = "notifications";
    public const string SignatureHeader = "X-Hub-Signature-256";

    /// <summary>Set on every request to a target: tracing leaves them out (their URL is a credential).</summary>
    public static readonly HttpRequestOptionsKey<bool> Untraced = new("devmentor.untraced");

    public async Task<SendResult> SendAsync(ClaimedNotification n, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        try
        {
            return n.Kind switch
            {
                NotificationKinds.Webhook => await PostAsync(n, n.PayloadJson, sign: true, timeout.Token),
                NotificationKinds.Slack => await PostAsync(n, new JsonObject { ["text"] = Summary(n) }.ToJsonString(), sign: false, timeout.Token),
                _ => await MailAsync(n, timeout.Token),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new SendResult(false, null, $"no answer within {options.RequestTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e) when (Refusal(e) is { } refused)
        {
            return new SendResult(false, null, "refused: " + refused.Message);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or SmtpCommandException or SmtpProtocolException or AuthenticationException
                                   or System.Net.Sockets.SocketException or SslHandshakeException)
        {
            return new SendResult(false, null, e.Message);
        }
    }

    private static TargetRefusedException? Refusal(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is TargetRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>One line for people: Slack text and the email subject.</summary>
    public static string Summary(ClaimedNotification n)
    {
        var payload = JsonNode.Parse(n.PayloadJson)!;
        var project = payload["project"]?["name"]?.GetValue<string>() ?? "project";
        if (payload["approval"] is { } approval)
        {
            return $"[{project}] Build #{payload["run"]?["number"]} waits for approval to deploy to {approval["environment"]?.GetValue<string>()} (approvers: {string.Join(", ", approval["approvers"]?.AsArray().Select(a => a?.GetValue<string>()) ?? [])})";
        }

        if (payload["run"] is { } run)
        {
            var what = n.Event == NotificationEvents.RunFixed ? "is fixed" : $"{run["status"]?.GetValue<string>()}";
            return $"[{project}] Build #{run["number"]} on {run["branch"]?.GetValue<string>() ?? "no branch"} {what}";
        }

        if (payload["task"] is { } task)
        {
            return $"[{project}] Task #{task["number"]} \"{task["title"]?.GetValue<string>()}\" was assigned to {task["assignee"]?.GetValue<string>()}";
        }

        var d = payload["deployment"]!;
        var verb = n.Event switch
        {
            NotificationEvents.DeploymentFailed => "failed",
            NotificationEvents.DeploymentRolledBack => "was rolled back",
            _ => "succeeded",
        };
        return $"[{project}] Deployment of build #{d["runNumber"]} to {d["environment"]?.GetValue<string>()} {verb}";
    }

    private async Task<SendResult> PostAsync(ClaimedNotification n, string json, bool sign, CancellationToken cancellationToken)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, n.Target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Options.Set(Untraced, true);
        request.Headers.Add("X-DevMentor-Event", n.Event);
        request.Headers.Add("X-DevMentor-Delivery", n.Id.ToString());
        if (sign && n.Secret is { } secret)
        {
            request.Headers.Add(SignatureHeader, Sign(secret, body));
        }

        using var client = httpClients.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, cancellationToken);
        var status = (int)response.StatusCode;
        return response.IsSuccessStatusCode ? new SendResult(true, status, null) : new SendResult(false, status, $"HTTP {status}");
    }

    private async Task<SendResult> MailAsync(ClaimedNotification n, CancellationToken cancellationToken)
    {
        var smtp = options.Smtp;
        if (string.IsNullOrEmpty(smtp.Host))
        {
            return new SendResult(false, null, "Notifications:Smtp:Host is not set");
        }

        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(smtp.From));
        message.To.Add(MailboxAddress.Parse(n.Target));
        message.Subject = Summary(n);
        var pretty = Indented(n.PayloadJson);
        message.Body = new TextPart("plain") { Text = Summary(n) + "\n\n" + pretty + "\n" };
        message.Headers.Add("X-DevMentor-Event", n.Event);

        using var client = new SmtpClient { Timeout = (int)options.RequestTimeout.TotalMilliseconds };
        await client.ConnectAsync(smtp.Host, smtp.Port, smtp.UseTls ? SecureSocketOptions.StartTlsWhenAvailable : SecureSocketOptions.None, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.User))
        {
            await client.AuthenticateAsync(smtp.User, smtp.Password ?? "", cancellationToken);
        }

        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(true, cancellationToken);
        return new SendResult(true, 250, null);
    }

    private static string Indented(string json)
    {
        using var document = JsonDocument.Parse(json);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            document.RootElement.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
