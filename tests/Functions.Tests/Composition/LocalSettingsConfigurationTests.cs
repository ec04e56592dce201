using DevMentor.Functions.Composition;
using DevMentor.Functions.Hosting.Standalone;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Composition;

public sealed class LocalSettingsConfigurationTests
{
    private static string Write(string json)
    {
        var directory = Directory.CreateTempSubdirectory("localsettings-").FullName;
        File.WriteAllText(Path.Combine(directory, LocalSettingsConfiguration.FileName), json);
        return directory;
    }

    [Fact]
    public void Values_connection_strings_and_host_are_read_the_functions_way()
    {
        var directory = Write("""
            {
              "IsEncrypted": false,
              "Values": { "FUNCTIONS_WORKER_RUNTIME": "custom", "Auth__Jwt__Issuer": "issuer-x", "Limits:MaxRequestBodyBytes": 2048 },
              "ConnectionStrings": { "Postgres": "Host=db;Database=d" },
              "Host": { "CORS": "https://a.example,https://b.example", "LocalHttpPort": 7071 }
            }
            """);

        var settings = LocalSettingsConfiguration.Read(Path.Combine(directory, LocalSettingsConfiguration.FileName));

        Assert.Equal("custom", settings["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("issuer-x", settings["Auth:Jwt:Issuer"]);
        Assert.Equal("2048", settings["Limits:MaxRequestBodyBytes"]);
        Assert.Equal("Host=db;Database=d", settings["ConnectionStrings:Postgres"]);
        Assert.Equal("https://a.example,https://b.example", settings["Host:CORS"]);
        Assert.Equal("7071", settings["Host:LocalHttpPort"]);
    }

    [Fact]
    public void Environment_variables_and_the_command_line_outrank_local_settings()
    {
        var directory = Write("""{ "Values": { "Limits__MaxRequestBodyBytes": "2048", "Scheduler__Enabled": "false", "Host__CORS": "https://from-file.example" } }""");
        // Scheduler__Enabled=true is the default anyway, so concurrent tests are unaffected by it.
        Environment.SetEnvironmentVariable("Scheduler__Enabled", "true");
        try
        {
            var builder = StandaloneHost.CreateBuilder(["--Host:CORS=https://from-args.example"], directory);
            var settings = ServiceSettings.Load(builder.Configuration, directory);

            Assert.Equal(2048, settings.MaxRequestBodyBytes);
            Assert.True(settings.SchedulerEnabled);
            Assert.Equal(["https://from-args.example"], settings.CorsOrigins);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Scheduler__Enabled", null);
        }
    }

    [Fact]
    public async Task The_executable_reads_values_and_connection_strings_from_local_settings_in_its_working_directory()
    {
        var directory = Write("""
            {
              "Values": { "Limits__MaxRequestBodyBytes": "huge" },
              "ConnectionStrings": { "Postgres": "Host=127.0.0.1;Nonsense Key=1" }
            }
            """);

        await using var service = ServiceProcess.Start(directory, new Dictionary<string, string?>());

        Assert.Equal(2, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Limits:MaxRequestBodyBytes: 'huge' is not a whole number", service.Output, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Postgres: not a valid PostgreSQL connection string", service.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_file_stops_the_executable_naming_the_file()
    {
        var directory = Write("""{ "Values": { "A": "b", """);

        await using var service = ServiceProcess.Start(directory, new Dictionary<string, string?>());

        Assert.Equal(2, await service.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var line = Assert.Single(service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("devmentor: invalid configuration: local.settings.json: not valid JSON", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_file_is_a_configuration_error_naming_the_file()
    {
        var directory = Write("""{ "Values": { "A": "b", """);

        var error = Assert.Throws<InvalidConfigurationException>(() => LocalSettingsConfiguration.Read(Path.Combine(directory, LocalSettingsConfiguration.FileName)));

        Assert.Contains("local.settings.json", error.Message, StringComparison.Ordinal);
    }
}
