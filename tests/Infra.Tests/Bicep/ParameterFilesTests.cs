using System.Text.Json.Nodes;

namespace DevMentor.Infra.Tests.Bicep;

/// <summary>The dev and prod parameter files (and azd's main.bicepparam) and the sizes they choose.</summary>
[Collection(CompiledDeploymentCollection.Name)]
public sealed class ParameterFilesTests(CompiledDeployment deployment)
{
    [Fact]
    public void Dev_uses_the_smallest_skus_without_redundancy()
    {
        var sizing = deployment.Parameters["dev.bicepparam"]["sizing"]!["value"]!;

        Assert.Equal("Burstable", sizing["postgresTier"]!.GetValue<string>());
        Assert.Equal("Disabled", sizing["postgresHighAvailability"]!.GetValue<string>());
        Assert.Equal("Standard_LRS", sizing["storageSku"]!.GetValue<string>());
        Assert.Equal("Balanced_B0", sizing["redisSku"]!.GetValue<string>());
        Assert.Equal(0, sizing["functionAlwaysReadyHttp"]!.GetValue<int>());
    }

    [Fact]
    public void Prod_is_zone_redundant_and_protected()
    {
        var sizing = deployment.Parameters["prod.bicepparam"]["sizing"]!["value"]!;

        Assert.Equal("ZoneRedundant", sizing["postgresHighAvailability"]!.GetValue<string>());
        Assert.Equal("Enabled", sizing["postgresGeoRedundantBackup"]!.GetValue<string>());
        Assert.Equal("Standard_ZRS", sizing["storageSku"]!.GetValue<string>());
        Assert.Equal("Enabled", sizing["redisHighAvailability"]!.GetValue<string>());
        Assert.True(sizing["keyVaultPurgeProtection"]!.GetValue<bool>());
    }

    [Fact]
    public void Azd_parameters_follow_the_profile_variable()
    {
        var parameters = deployment.Parameters;

        Assert.True(JsonNode.DeepEquals(parameters["dev.bicepparam"]["sizing"], parameters["main.bicepparam"]["sizing"]));
        Assert.True(JsonNode.DeepEquals(parameters["prod.bicepparam"]["sizing"], parameters["main.bicepparam+prod"]["sizing"]));
        Assert.False(JsonNode.DeepEquals(parameters["dev.bicepparam"]["sizing"], parameters["prod.bicepparam"]["sizing"]));
    }

    [Theory]
    [InlineData("dev.bicepparam")]
    [InlineData("prod.bicepparam")]
    [InlineData("main.bicepparam")]
    public async Task Names_and_secrets_come_from_the_environment_and_postgres_stays_private(string file)
    {
        var parameters = deployment.Parameters[file];

        Assert.Equal("infra-test", parameters["environmentName"]!["value"]!.GetValue<string>());
        Assert.Equal(BicepCli.ParameterEnvironment["DEVMENTOR_JWT_SIGNING_KEY"], parameters["jwtSigningKey"]!["value"]!.GetValue<string>());
        Assert.False(parameters["postgresPublicAccess"]!["value"]!.GetValue<bool>());
        // No secret is written into a parameter file itself.
        var text = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Bicep, file));
        Assert.DoesNotContain(BicepCli.ParameterEnvironment["DEVMENTOR_JWT_SIGNING_KEY"], text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_secret_stops_the_build_naming_its_variable()
    {
        var environment = BicepCli.ParameterEnvironment.Where(p => p.Key != "DEVMENTOR_WEBHOOK_SECRET_KEY").ToDictionary();
        // An empty value stands in for "unset": the child inherits the test process environment otherwise.
        environment["DEVMENTOR_WEBHOOK_SECRET_KEY"] = "";

        var result = await ProcessRunner.RunAsync(BicepCli.Path, ["build-params", "dev.bicepparam", "--stdout"], RepositoryPaths.Bicep, environment);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("dev.bicepparam", result.Stderr, StringComparison.Ordinal);
    }
}
