using System.Net;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Core.Builds.Images;

/// <summary>
/// Reads Registry:* the same way for the service's embedded runner and DevMentor.Runner, so both
/// can run the image step: every problem named, nothing thrown (each host reports them its way).
/// </summary>
public static class RegistryConfiguration
{
    /// <param name="defaultStorageRoot">buildah's image store when Registry:StorageRoot is not set.</param>
    public static (RegistryOptions Options, IReadOnlyList<string> Problems) Read(IConfiguration configuration, string defaultStorageRoot)
    {
        var problems = new List<string>();
        Uri? url = null;
        if (configuration["Registry:Url"] is { Length: > 0 } raw)
        {
            if (!Uri.TryCreate(raw, UriKind.Absolute, out url) || url.Scheme is not ("http" or "https") || url.UserInfo.Length > 0 || url.Query.Length > 0)
            {
                problems.Add("Registry:Url: an absolute http(s) URL such as https://registry.example.com/devmentor, without credentials (use Registry:Username/Password).");
                url = null;
            }
            else if (url.Scheme == "http" && !IsLoopback(url))
            {
                problems.Add("Registry:Url: plain http is allowed only for a loopback registry (127.0.0.1, ::1, localhost); use https.");
                url = null;
            }
        }

        var username = configuration["Registry:Username"] is { Length: > 0 } u ? u : null;
        var password = configuration["Registry:Password"] is { Length: > 0 } p ? p : null;
        if (password is not null && username is null)
        {
            problems.Add("Registry:Password: set Registry:Username too.");
        }

        var storage = configuration["Registry:StorageRoot"] is { Length: > 0 } root ? root : defaultStorageRoot;
        var buildah = configuration["Registry:Buildah"] is { Length: > 0 } b ? b : "buildah";
        string? registriesConf = null;
        if (configuration["Registry:RegistriesConf"] is { Length: > 0 } conf)
        {
            registriesConf = Path.GetFullPath(conf);
            if (!File.Exists(registriesConf))
            {
                problems.Add($"Registry:RegistriesConf: no file at {registriesConf} (a containers-registries.conf file naming where base images are pulled from).");
                registriesConf = null;
            }
        }

        return (new RegistryOptions(url, username, password, Path.GetFullPath(storage), buildah, registriesConf), problems);
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
