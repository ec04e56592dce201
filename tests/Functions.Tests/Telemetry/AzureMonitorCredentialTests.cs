using Azure.Identity;
using AppTelemetry = DevMentor.Functions.Composition.Telemetry;

namespace DevMentor.Functions.Tests.Telemetry;

/// <summary>Entra-only ingestion (APPLICATIONINSIGHTS_AUTHENTICATION_STRING, set by infra) gives the Azure Monitor exporter a credential; anything else none.</summary>
public sealed class AzureMonitorCredentialTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Authorization=Key")]
    [InlineData("ClientId=1234")]
    [InlineData("Authorization")]
    public void Without_Authorization_AAD_the_exporter_uses_the_connection_strings_key(string? authentication) =>
        Assert.Null(AppTelemetry.EntraIngestionCredential(authentication));

    [Theory]
    [InlineData("Authorization=AAD")]
    [InlineData("authorization=aad; ClientId=7f1c7d7e-0000-4000-8000-000000000001")]
    public void Authorization_AAD_means_an_entra_credential(string authentication) =>
        Assert.IsType<DefaultAzureCredential>(AppTelemetry.EntraIngestionCredential(authentication));
}
