using DevMentor.Core.Builds.Images;

namespace DevMentor.Functions.Composition;

/// <summary>Registry:* settings for the image step, validated at start like the others.</summary>
public static class RegistrySettings
{
    public static RegistryOptions Load(IConfiguration configuration, ServiceSettings service)
    {
        var (options, problems) = RegistryConfiguration.Read(configuration, Path.Combine(service.DataDirectory, "buildah"));
        return problems.Count > 0 ? throw new InvalidConfigurationException(problems) : options;
    }
}
