using System.Net.Http.Headers;
using System.Text;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Webhooks;

/// <summary>The real GitHub payloads in tests/fixtures/github, signed as GitHub signs them.</summary>
public static class GitHubFixtures
{
    public const string Secret = "It's a Secret to Everybody";

    private static readonly string Directory = Path.GetFullPath(Path.Combine(
        ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory), "tests", "fixtures", "github"));

    public static byte[] Payload(string file) => File.ReadAllBytes(Path.Combine(Directory, file));

    /// <summary>A fixture with some of its text replaced (e.g. to point at a local repository and its sha).</summary>
    public static byte[] Payload(string file, params (string From, string To)[] replacements)
    {
        var text = Encoding.UTF8.GetString(Payload(file));
        foreach (var (from, to) in replacements)
        {
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return Encoding.UTF8.GetBytes(text);
    }

    public static HttpRequestMessage Delivery(string eventName, byte[] body, string? deliveryId = null, string? signature = "sign", string secret = Secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", deliveryId ?? Guid.NewGuid().ToString());
        request.Headers.UserAgent.ParseAdd("GitHub-Hookshot/044aadd");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature == "sign" ? GitHubSignature.Sign(secret, body) : signature);
        }

        return request;
    }
}
