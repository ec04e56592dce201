using System.Text.RegularExpressions;

namespace DevMentor.Infra.Tests.Bicep;

/// <summary>
/// The function app gets every setting the service needs at start in Azure: each key the README's
/// configuration tables mark with ☁, and the Functions platform settings of an identity-based,
/// isolated-worker app on Flex Consumption.
/// </summary>
[Collection(CompiledDeploymentCollection.Name)]
public sealed partial class AppSettingsTests(CompiledDeployment deployment)
{
    public const string RequiredInAzureMarker = "☁";

    /// <summary>Settings Flex Consumption rejects or ignores (functionAppConfig replaces them).</summary>
    public static TheoryData<string> FlexForbidden() =>
        ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "FUNCTIONS_WORKER_RUNTIME_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
         "WEBSITE_CONTENTSHARE", "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "SCM_DO_BUILD_DURING_DEPLOYMENT", "ENABLE_ORYX_BUILD",
         "WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT", "WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED", "AzureWebJobsStorage"];

    /// <summary>The README's keys marked as required at start in Azure, as app setting names (A:B → A__B).</summary>
    public static IReadOnlyList<string> MarkedInReadme()
    {
        var keys = new List<string>();
        foreach (var line in File.ReadLines(RepositoryPaths.Combine("README.md")))
        {
            if (!line.StartsWith('|') || line.Split('|') is not [_, var firstCell, ..] || !firstCell.Contains(RequiredInAzureMarker, StringComparison.Ordinal))
            {
                continue;
            }

            keys.AddRange(BacktickedKey().Matches(firstCell).Select(m => m.Groups[1].Value.Replace(":", "__", StringComparison.Ordinal)));
        }

        return keys;
    }

    [Fact]
    public void The_readme_marks_the_settings_required_in_azure()
    {
        var marked = MarkedInReadme();

        // The marker is in use (a table that lost it would make the next test vacuous) and links here.
        Assert.Contains("ConnectionStrings__Postgres", marked);
        Assert.Contains("Auth__Jwt__SigningKey", marked);
        Assert.True(marked.Count >= 10, $"only {marked.Count} keys marked: {string.Join(", ", marked)}");
        Assert.Contains("infra/bicep/README.md", File.ReadAllText(RepositoryPaths.Combine("README.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_setting_the_readme_marks_as_required_in_azure_is_provided()
    {
        var missing = MarkedInReadme().Where(key => !IsProvided(key)).ToList();

        Assert.True(missing.Count == 0, $"README marks these as required at start in Azure, but main.bicep does not set them: {string.Join(", ", missing)}");
    }

    [Theory]
    [InlineData("AzureWebJobsStorage__accountName")]
    [InlineData("AzureWebJobsStorage__credential")]
    [InlineData("Blob__Container")]
    [InlineData("ConnectionStrings__Postgres")]
    [InlineData("Postgres__AzureIdentity")]
    [InlineData("ConnectionStrings__Redis")]
    [InlineData("Auth__Jwt__SigningKey")]
    [InlineData("Auth__Jwt__Issuer")]
    [InlineData("Auth__Jwt__Audience")]
    [InlineData("Webhooks__SecretKey")]
    [InlineData("Runners__RegistrationToken")]
    [InlineData("APPLICATIONINSIGHTS_CONNECTION_STRING")]
    [InlineData("Pipelines__Runner__Enabled")]
    [InlineData("Scheduler__Enabled")]
    [InlineData("Service__PublicBaseUrl")]
    [InlineData("GitHub__Token")]
    [InlineData("FUNCTIONS_WORKER_RUNTIME")]
    public void The_service_settings_for_azure_are_provided(string key) => Assert.True(IsProvided(key), $"{key} is not provided by main.bicep");

    [Fact]
    public void Work_the_host_does_is_switched_off_in_the_worker()
    {
        Assert.Equal("false", deployment.AppSettings["Scheduler__Enabled"]);
        Assert.Equal("false", deployment.AppSettings["Pipelines__Runner__Enabled"]);
        Assert.Equal("managedidentity", deployment.AppSettings["AzureWebJobsStorage__credential"]);
        Assert.Equal("true", deployment.AppSettings["Postgres__AzureIdentity"]);
    }

    [Fact]
    public void The_postgres_connection_string_names_the_identity_and_verifies_tls()
    {
        var value = deployment.AppSettings["ConnectionStrings__Postgres"];

        Assert.Contains("Username={2}", value, StringComparison.Ordinal);
        Assert.Contains("parameters('appName')", value, StringComparison.Ordinal);
        Assert.Contains("Ssl Mode=VerifyFull", value, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", value, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(FlexForbidden))]
    public void Settings_flex_consumption_rejects_are_absent(string key) => Assert.DoesNotContain(key, deployment.AppSettings.Keys);

    private bool IsProvided(string key) => key switch
    {
        // Flex Consumption sets the worker runtime from functionAppConfig.runtime, never from an app setting.
        "FUNCTIONS_WORKER_RUNTIME" => deployment.Main.Single("Microsoft.Web/sites").Properties!["functionAppConfig"]!["runtime"]!["name"]!.GetValue<string>() == "dotnet-isolated",
        _ => deployment.AppSettings.ContainsKey(key),
    };

    [GeneratedRegex("`([A-Za-z_][A-Za-z0-9_:]*)`")]
    private static partial Regex BacktickedKey();
}
