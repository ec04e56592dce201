using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using global::Azure.Core;

namespace DevMentor.Core.Storage.Azure;

/// <summary>Signs or otherwise authorizes each attempt of a request to the Blob service.</summary>
public interface IBlobRequestAuthorizer
{
    /// <summary>"SharedKey", "Bearer" or "SAS": for logs.</summary>
    string Kind { get; }

    /// <summary>Adds what the scheme needs to the URI (a SAS query); the identity for others.</summary>
    Uri PrepareUri(Uri uri);

    /// <summary>Called last, after every x-ms-* header is set, once per attempt.</summary>
    ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken);
}

/// <summary>
/// SharedKey authorization (version 2009-09-19 and later): an HMAC-SHA256 with the account key over
/// the verb, the standard headers, the x-ms-* headers and the canonicalized resource
/// <c>/{account}{encoded path}</c> plus the query parameters. Against Azurite's path-style URLs the
/// path already starts with the account, giving <c>/devstoreaccount1/devstoreaccount1/{container}/{blob}</c>.
/// </summary>
public sealed class SharedKeyAuthorizer(string accountName, byte[] accountKey) : IBlobRequestAuthorizer
{
    private readonly byte[] _key = accountKey;

    public string Kind => "SharedKey";

    public Uri PrepareUri(Uri uri) => uri;

    public ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var signature = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(StringToSign(request))));
        request.Headers.TryAddWithoutValidation("Authorization", $"SharedKey {accountName}:{signature}");
        return ValueTask.CompletedTask;
    }

    /// <summary>The exact text that is signed (exposed for tests).</summary>
    public string StringToSign(HttpRequestMessage request)
    {
        var contentLength = request.Content?.Headers.ContentLength;
        var builder = new StringBuilder(256);
        builder.Append(request.Method.Method).Append('\n');
        builder.Append(Header(request, "Content-Encoding")).Append('\n');
        builder.Append(Header(request, "Content-Language")).Append('\n');
        builder.Append(contentLength is null or 0 ? "" : contentLength.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        builder.Append(Header(request, "Content-MD5")).Append('\n');
        builder.Append(Header(request, "Content-Type")).Append('\n');
        builder.Append('\n'); // Date: x-ms-date is used instead
        builder.Append(Header(request, "If-Modified-Since")).Append('\n');
        builder.Append(Header(request, "If-Match")).Append('\n');
        builder.Append(Header(request, "If-None-Match")).Append('\n');
        builder.Append(Header(request, "If-Unmodified-Since")).Append('\n');
        builder.Append(Header(request, "Range")).Append('\n');

        foreach (var (name, value) in request.Headers
                     .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
                     .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(',', h.Value.Select(v => v.Trim()))))
                     .OrderBy(h => h.Name, StringComparer.Ordinal))
        {
            builder.Append(name).Append(':').Append(value).Append('\n');
        }

        var uri = request.RequestUri!;
        builder.Append('/').Append(accountName).Append(uri.AbsolutePath);
        foreach (var (name, values) in QueryParameters(uri.Query).OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            builder.Append('\n').Append(name).Append(':').Append(string.Join(',', values.Order(StringComparer.Ordinal)));
        }

        return builder.ToString();
    }

    private static string Header(HttpRequestMessage request, string name)
    {
        if (request.Headers.TryGetValues(name, out var values) || request.Content?.Headers.TryGetValues(name, out values) == true)
        {
            return string.Join(',', values!);
        }

        return "";
    }

    private static Dictionary<string, List<string>> QueryParameters(string query)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]).ToLowerInvariant();
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            if (!result.TryGetValue(name, out var list))
            {
                result[name] = list = [];
            }

            list.Add(value);
        }

        return result;
    }
}

/// <summary>A SAS token from a connection string: appended to every request's query.</summary>
public sealed class SasAuthorizer(string sas) : IBlobRequestAuthorizer
{
    public string Kind => "SAS";

    public Uri PrepareUri(Uri uri) => new(uri.AbsoluteUri + (string.IsNullOrEmpty(uri.Query) ? "?" : "&") + sas);

    public ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

/// <summary>
/// Microsoft Entra ID tokens (a managed identity in Azure, through Azure.Identity's
/// DefaultAzureCredential) for the scope https://storage.azure.com/.default, cached until five
/// minutes before they expire.
/// </summary>
public sealed class BearerTokenAuthorizer(TokenCredential credential) : IBlobRequestAuthorizer, IDisposable
{
    public const string Scope = "https://storage.azure.com/.default";
    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private AccessToken _token;

    public string Kind => "Bearer";

    public Uri PrepareUri(Uri uri) => uri;

    public async ValueTask AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = _token;
        if (NeedsRefresh(token))
        {
            await _refresh.WaitAsync(cancellationToken);
            try
            {
                token = _token;
                if (NeedsRefresh(token))
                {
                    _token = token = await credential.GetTokenAsync(new TokenRequestContext([Scope]), cancellationToken);
                }
            }
            finally
            {
                _refresh.Release();
            }
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
    }

    public void Dispose() => _refresh.Dispose();

    private static bool NeedsRefresh(AccessToken token) =>
        token.Token is null || token.ExpiresOn - DateTimeOffset.UtcNow < RefreshMargin || token.RefreshOn is { } refreshOn && refreshOn <= DateTimeOffset.UtcNow;
}
