using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Builds;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Deployments;

/// <summary>
/// The <c>webhook</c> target: POSTs a JSON deployment notice, signed like GitHub's deliveries
/// (<c>X-DevMentor-Signature-256: sha256=HMAC-SHA256(secret, body)</c>), retrying server errors and
/// network failures with exponential backoff. The URL's query is never logged.
/// </summary>
public sealed partial class WebhookTarget(DeploymentOptions options, ILogger<WebhookTarget> logger) : IDisposable
{
    public const string SignatureHeader = "X-DevMentor-Signature-256";
    public const string EventHeader = "X-DevMentor-Event";
    public const string DeliveryHeader = "X-DevMentor-Delivery";

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose() => _http.Dispose();

    public static string Sign(byte[] body, string secret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public async Task<DeploymentResult> DeployAsync(Deployment deployment, DeployEnvironment environment, DeployableRun run, CancellationToken cancellationToken)
    {
        if (environment.Url is not { } url)
        {
            return DeploymentResult.Failed($"environment '{environment.Name}' has no url");
        }

        string? secret = null;
        if (environment.SecretRef is { } name && !options.Secrets.TryGetValue(name, out secret))
        {
            return DeploymentResult.Failed($"the signing secret '{name}' is not configured (Deploy:Secrets:{name}); nothing was sent");
        }

        var body = Notice(deployment, run);
        var shown = url.GetLeftPart(UriPartial.Path);
        string last = "not sent";
        for (var attempt = 1; attempt <= options.WebhookAttempts; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add(EventHeader, "deployment");
            request.Headers.Add(DeliveryHeader, deployment.Id.ToString("D"));
            if (secret is not null)
            {
                request.Headers.Add(SignatureHeader, Sign(body, secret));
            }

            bool retry;
            try
            {
                using var response = await _http.SendAsync(request, cancellationToken);
                var code = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    return new DeploymentResult(true, null, null, shown, null, true, $"POST answered {code} (attempt {attempt})", null);
                }

                last = $"{code} {response.ReasonPhrase}";
                retry = code >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
            }
            catch (HttpRequestException e)
            {
                last = e.HttpRequestError.ToString();
                retry = true;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "no answer within 10 s";
                retry = true;
            }

            LogAttemptFailed(logger, shown, deployment.Id, attempt, last);
            if (!retry || attempt == options.WebhookAttempts)
            {
                break;
            }

            await Task.Delay(options.WebhookFirstDelay * Math.Pow(2, attempt - 1), cancellationToken);
        }

        return new DeploymentResult(false, null, null, shown, null, false, $"POST {shown}: {last}", $"the webhook did not accept the notice: {last}");
    }

    private static byte[] Notice(Deployment deployment, DeployableRun run)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", "deployment");
            json.WriteString("deploymentId", deployment.Id);
            json.WriteString("projectId", deployment.ProjectId);
            json.WriteString("environment", deployment.Environment);
            json.WriteString("trigger", deployment.Trigger);
            if (deployment.RollbackOf is { } rollbackOf)
            {
                json.WriteString("rollbackOf", rollbackOf);
            }

            json.WriteString("runId", run.RunId);
            json.WriteNumber("runNumber", run.Number);
            json.WriteString("branch", run.Branch);
            json.WriteString("commit", run.Commit);
            json.WriteString("image", run.Image);
            json.WriteString("digest", run.Digest);
            json.WriteString("createdAt", deployment.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deployment notice to {Url} for {DeploymentId} failed (attempt {Attempt}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string url, Guid deploymentId, int attempt, string error);
}
