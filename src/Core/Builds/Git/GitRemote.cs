using System.Text.RegularExpressions;

namespace DevMentor.Core.Builds.Git;

/// <summary>
/// A remote URL split into what git gets and what may be logged. User information never
/// reaches a log; a password in an http(s) URL is taken out and used as credentials instead, so
/// it is not written to .git/config either.
/// </summary>
public sealed partial record GitRemote(string Url, string DisplayUrl, string Transport, GitCredentials? EmbeddedCredentials)
{
    private static readonly HashSet<string> Schemes = new(StringComparer.Ordinal) { "file", "http", "https", "ssh", "git" };

    [GeneratedRegex(@"^(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?<authority>[^/?#]*)(?<rest>.*)$")]
    private static partial Regex SchemeUrl();

    // scp-like ssh syntax: [user@]host:path, where host has no slash (git's own rule for telling it from a path).
    [GeneratedRegex(@"^(?:(?<user>[^@/:]+)@)?(?<host>[^@/:]+):(?<path>.+)$")]
    private static partial Regex ScpLike();

    /// <exception cref="GitCheckoutException">InvalidRequest: an unsupported scheme, a remote helper (<c>ext::</c>) or option-like input.</exception>
    public static GitRemote Parse(string url)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > 2048 || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw Invalid("the repository URL is empty, too long or contains spaces or control characters.");
        }

        if (url.StartsWith('-'))
        {
            throw Invalid("the repository URL cannot start with '-'.");
        }

        if (url.StartsWith('/'))
        {
            // A plain path would make git ignore --depth; the file:// form keeps the clone shallow.
            return new GitRemote(new Uri(url).AbsoluteUri, new Uri(url).AbsoluteUri, "file", null);
        }

        var match = SchemeUrl().Match(url);
        if (match.Success)
        {
            var scheme = match.Groups["scheme"].Value.ToLowerInvariant();
            if (!Schemes.Contains(scheme))
            {
                throw Invalid($"the '{scheme}' transport is not supported (file, http, https, ssh, git).");
            }

            var authority = match.Groups["authority"].Value;
            var rest = match.Groups["rest"].Value;
            var at = authority.LastIndexOf('@');
            var host = at >= 0 ? authority[(at + 1)..] : authority;
            var userInfo = at >= 0 ? authority[..at] : null;
            var display = $"{scheme}://{host}{rest}";
            if (userInfo is null)
            {
                return new GitRemote($"{scheme}://{host}{rest}", display, scheme, null);
            }

            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon >= 0 ? userInfo[..colon] : userInfo);
            var password = colon >= 0 ? Uri.UnescapeDataString(userInfo[(colon + 1)..]) : null;
            if (scheme is "http" or "https")
            {
                // A lone token in the user part (https://TOKEN@host) is how many CI systems pass one.
                var credentials = password is { Length: > 0 } ? new GitCredentials(user, password) : user.Length > 0 ? GitCredentials.Token(user) : null;
                return new GitRemote($"{scheme}://{host}{rest}", display, scheme, credentials);
            }

            // ssh needs its login name in the URL; a password there is never used by ssh, so it is dropped.
            var login = scheme == "ssh" && colon != 0 && user.Length > 0 ? userInfo[..(colon >= 0 ? colon : userInfo.Length)] + "@" : "";
            return new GitRemote($"{scheme}://{login}{host}{rest}", display, scheme, null);
        }

        if (url.Contains("::", StringComparison.Ordinal))
        {
            throw Invalid("remote helper URLs (transport::address) are not allowed.");
        }

        var scp = ScpLike().Match(url);
        if (scp.Success)
        {
            return new GitRemote(url, $"{scp.Groups["host"].Value}:{scp.Groups["path"].Value}", "ssh", null);
        }

        throw Invalid("the repository URL must be file://, http(s)://, ssh://, git://, user@host:path or an absolute path.");
    }

    private static GitCheckoutException Invalid(string message) => new(GitCheckoutFailure.InvalidRequest, message);
}
