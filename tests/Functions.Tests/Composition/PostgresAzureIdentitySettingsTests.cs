using DevMentor.Functions.Composition;
using Microsoft.Extensions.Configuration;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>Postgres:AzureIdentity / Postgres:ClientId as the service reads them at start.</summary>
public sealed class PostgresAzureIdentitySettingsTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Azure_settings_turn_on_entra_authentication()
    {
        var settings = ServiceSettings.Load(Config(
            ("ConnectionStrings:Postgres", "Host=psql-x.postgres.database.azure.com;Database=devmentor;Username=func-x;Ssl Mode=VerifyFull"),
            ("Postgres:AzureIdentity", "true"),
            ("Postgres:ClientId", " 00000000-0000-0000-0000-000000000001 ")), "/srv/app");

        Assert.True(settings.PostgresAzureIdentity);
        Assert.Equal("00000000-0000-0000-0000-000000000001", settings.PostgresClientId);
    }

    [Fact]
    public void Off_by_default()
    {
        var settings = ServiceSettings.Load(Config(("ConnectionStrings:Postgres", "Host=db;Username=u;Password=p")), "/srv/app");

        Assert.False(settings.PostgresAzureIdentity);
        Assert.Null(settings.PostgresClientId);
    }

    [Theory]
    [InlineData(null, "true", "Postgres:AzureIdentity: needs ConnectionStrings:Postgres")]
    [InlineData("Host=db;Username=u;Password=p", "true", "ConnectionStrings:Postgres: holds a password")]
    [InlineData("Host=db;Username=u", "maybe", "Postgres:AzureIdentity")]
    public void Contradictions_stop_the_start_naming_the_key(string? connectionString, string azureIdentity, string expected)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => ServiceSettings.Load(Config(
            ("ConnectionStrings:Postgres", connectionString), ("Postgres:AzureIdentity", azureIdentity)), "/srv/app"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
