using Microsoft.AspNetCore.DataProtection;

namespace DevMentor.Core.Notifications;

/// <summary>
/// Encrypts what a notification target must keep secret before it is stored (ADR 0036): a webhook's
/// full URL and HMAC secret, a Slack incoming-webhook URL (the URL is the credential). ASP.NET Core
/// Data Protection does the cryptography (authenticated encryption, key rotation); its key ring lives
/// in the blob store, apart from the database, so a copy of the database alone reveals nothing.
/// What is shown instead: <see cref="RedactUrl"/> and <see cref="Hint"/>.
/// </summary>
public sealed class TargetSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("DevMentor.Notifications.Targets.v1");

    public string Protect(string plaintext) => _protector.Protect(plaintext);

    /// <exception cref="System.Security.Cryptography.CryptographicException">The key ring no longer holds the key (or the text was altered).</exception>
    public string Unprotect(string protectedText) => _protector.Unprotect(protectedText);

    /// <summary>The last four characters, for telling secrets apart: "…cdef".</summary>
    public static string Hint(string secret) => "…" + (secret.Length > 8 ? secret[^4..] : "");

    /// <summary>Scheme and host of a URL, then only a hint of the rest (which may carry a token): "https://hooks.example/…x9Qz".</summary>
    public static string RedactUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return Hint(url);
        }

        var origin = uri.GetLeftPart(UriPartial.Authority);
        var rest = uri.PathAndQuery;
        return rest == "/" ? origin + rest : origin + "/" + Hint(rest);
    }
}
