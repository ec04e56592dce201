namespace DevMentor.Core.Builds.Images;

/// <summary>Where images are pushed (Registry:*) and how buildah is run.</summary>
/// <param name="Url">
/// The registry and an optional repository prefix, e.g. <c>https://registry.example.com/devmentor</c>;
/// plain http only for a loopback registry (checked when the settings are read). Null: no registry.
/// </param>
/// <param name="StorageRoot">buildah's image store (vfs); the run root is kept beside it.</param>
/// <param name="RegistriesConf">
/// A containers-registries.conf(5) file buildah reads where base images come from (mirrors, e.g. an internal one
/// when the machine cannot reach Docker Hub or mcr.microsoft.com); null: the system's own.
/// </param>
public sealed record RegistryOptions(Uri? Url, string? Username, string? Password, string StorageRoot, string Buildah = "buildah", string? RegistriesConf = null)
{
    /// <summary>host[:port], as image references spell it.</summary>
    public string? Host => Url?.IsDefaultPort == false ? $"{Url.Host}:{Url.Port}" : Url?.Host;

    public bool Insecure => Url?.Scheme == Uri.UriSchemeHttp;

    /// <summary>The repository for a project: the registry's prefix plus the project id (lower case, as references need).</summary>
    public string? RepositoryFor(Guid projectId)
    {
        if (Host is not { } host)
        {
            return null;
        }

        var prefix = Url!.AbsolutePath.Trim('/').ToLowerInvariant();
        return prefix.Length == 0 ? $"{host}/{projectId:D}" : $"{host}/{prefix}/{projectId:D}";
    }

    public override string ToString() => $"RegistryOptions {{ Url = {Url}, Username = {Username}, StorageRoot = {StorageRoot}, RegistriesConf = {RegistriesConf} }}";
}
