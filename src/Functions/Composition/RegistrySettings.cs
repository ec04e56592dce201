using System.Net;
using DevMentor.Core.Builds.Images;

namespace DevMentor.Functions.Composition;

/// <summary>Registry:* settings for the image step, validated at start like the others.</summary>
public static class RegistrySettings
{
    public static RegistryOptions Load(IConfiguration configuration, ServiceSettings service)
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

        var storage = configuration["Registry:StorageRoot"] is { Length: > 0 } root ? root : Path.Combine(service.DataDirectory, "buildah");
        var buildah = configuration["Registry:Buildah"] is { Length: > 0 } b ? b : "buildah";
        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        return new RegistryOptions(url, username, password, Path.GetFullPath(storage), buildah);
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
