using DevMentor.Core.Builds.Images;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Core.Tests.Builds;

public sealed class ImageTagsTests
{
    [Fact]
    public void Commit_sha_then_run_number_then_valid_config_tags_without_duplicates()
    {
        var tags = ImageTags.For("ABCDEF0123", 12, "latest, ,bad tag,run-12,v1.2");

        Assert.Equal(["abcdef0123", "run-12", "latest", "v1.2"], tags);
    }

    [Fact]
    public void Repository_is_the_registry_prefix_and_the_project_id()
    {
        var project = Guid.NewGuid();

        Assert.Equal($"127.0.0.1:5000/team/apps/{project}", new RegistryOptions(new Uri("http://127.0.0.1:5000/Team/apps/"), null, null, "/tmp/x").RepositoryFor(project));
        Assert.Equal($"registry.example.com/{project}", new RegistryOptions(new Uri("https://registry.example.com"), null, null, "/tmp/x").RepositoryFor(project));
        Assert.Null(new RegistryOptions(null, null, null, "/tmp/x").RepositoryFor(project));
    }

    [Fact]
    public void The_auth_file_holds_the_credentials_privately_and_is_gone_after_dispose()
    {
        string path;
        using (var file = RegistryAuthFile.Create("127.0.0.1:5000", "user", "pass"))
        {
            path = file.Path;
            Assert.Contains(Convert.ToBase64String("user:pass"u8.ToArray()), File.ReadAllText(path), StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Registries_conf_is_an_existing_file_or_a_named_problem()
    {
        var conf = Path.GetTempFileName();
        try
        {
            var (given, none) = RegistryConfiguration.Read(Settings(("Registry:RegistriesConf", conf)), "/tmp/store");
            Assert.Equal((conf, 0), (given.RegistriesConf, none.Count));
            Assert.Null(RegistryConfiguration.Read(Settings(), "/tmp/store").Options.RegistriesConf);

            var (missing, problems) = RegistryConfiguration.Read(Settings(("Registry:RegistriesConf", conf + ".missing")), "/tmp/store");
            Assert.Null(missing.RegistriesConf);
            Assert.StartsWith("Registry:RegistriesConf:", Assert.Single(problems), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(conf);
        }
    }

    private static IConfiguration Settings(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
}
