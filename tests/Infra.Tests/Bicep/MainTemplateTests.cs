using System.Text.Json.Nodes;

namespace DevMentor.Infra.Tests.Bicep;

/// <summary>The resources main.bicep deploys, read from the ARM template the compiler produces.</summary>
[Collection(CompiledDeploymentCollection.Name)]
public sealed class MainTemplateTests(CompiledDeployment deployment)
{
    private static readonly Dictionary<string, string> BuiltInRoles = new()
    {
        ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
        ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
        ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
        ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
        ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
    };

    private ArmTemplate Main => deployment.Main;

    private static string Text(JsonNode? node) => ArmTemplate.Text(node);

    [Fact]
    public void The_function_app_is_flex_consumption_on_dotnet_isolated_10_with_a_system_identity()
    {
        var plan = Main.Single("Microsoft.Web/serverfarms");
        Assert.Equal("FlexConsumption", plan.Body["sku"]!["tier"]!.GetValue<string>());
        Assert.Equal("FC1", plan.Body["sku"]!["name"]!.GetValue<string>());

        var app = Main.Single("Microsoft.Web/sites");
        Assert.Equal("functionapp,linux", app.Body["kind"]!.GetValue<string>());
        Assert.Equal("SystemAssigned", app.Body["identity"]!["type"]!.GetValue<string>());
        var config = app.Properties!["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        Assert.True(app.Properties!["httpsOnly"]!.GetValue<bool>());

        // The package comes from a blob container, read with the app's own identity.
        var storage = config["deployment"]!["storage"]!;
        Assert.Equal("blobContainer", storage["type"]!.GetValue<string>());
        Assert.Equal("SystemAssignedIdentity", storage["authentication"]!["type"]!.GetValue<string>());
        Assert.Contains("app-package-", Main.Module("functionApp").ArgumentFor("deploymentContainerUrl")!.GetValue<string>(), StringComparison.Ordinal);

        // azd finds the app by its service tag (azure.yaml: service `functions`).
        Assert.Contains("'azd-service-name', 'functions'", Text(app.Body["tags"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Basic_publishing_credentials_are_off()
    {
        var policies = Main.OfType("Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();

        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.False(p.Properties!["allow"]!.GetValue<bool>()));
    }

    [Fact]
    public void The_storage_account_allows_no_shared_key_and_no_public_blobs()
    {
        var account = Main.Single("Microsoft.Storage/storageAccounts").Properties!;

        Assert.False(account["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.False(account["allowBlobPublicAccess"]!.GetValue<bool>());
        Assert.True(account["defaultToOAuthAuthentication"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", account["minimumTlsVersion"]!.GetValue<string>());

        var containers = Main.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").ToList();
        Assert.Equal(2, containers.Count);
        Assert.All(containers, c => Assert.Equal("None", c.Properties!["publicAccess"]!.GetValue<string>()));
    }

    [Fact]
    public void The_app_identity_holds_the_storage_key_vault_and_monitoring_roles()
    {
        var roles = Main.Module("roles");
        // The roles module acts for the function app's identity.
        Assert.Equal("[reference('functionApp').outputs.principalId.value]", roles.ArgumentFor("principalId")!.GetValue<string>());

        var assigned = roles.Resources.Where(r => r.Type == "Microsoft.Authorization/roleAssignments")
            .Select(r =>
            {
                Assert.Equal("[parameters('principalId')]", r.Properties!["principalId"]!.GetValue<string>());
                Assert.Equal("ServicePrincipal", r.Properties!["principalType"]!.GetValue<string>());
                return (Role: RoleOf(roles, r), Scope: r.Body["scope"]!.GetValue<string>());
            })
            .ToList();

        Assert.Equal(
            ["Key Vault Secrets User", "Monitoring Metrics Publisher", "Storage Blob Data Owner", "Storage Queue Data Contributor", "Storage Table Data Contributor"],
            assigned.Select(a => a.Role).Order(StringComparer.Ordinal));
        Assert.All(assigned.Where(a => a.Role.StartsWith("Storage", StringComparison.Ordinal)), a => Assert.Contains("Microsoft.Storage/storageAccounts", a.Scope, StringComparison.Ordinal));
        Assert.Contains("Microsoft.KeyVault/vaults", assigned.Single(a => a.Role == "Key Vault Secrets User").Scope, StringComparison.Ordinal);
    }

    [Fact]
    public void App_settings_wait_for_the_role_assignments_and_the_redis_secret()
    {
        var dependsOn = deployment.AppSettingsModule.ModuleResource!["dependsOn"]!.AsArray().Select(d => d!.GetValue<string>()).ToList();

        Assert.Contains("roles", dependsOn);
        Assert.Contains("redis", dependsOn);
    }

    [Fact]
    public void Key_vault_uses_rbac_and_soft_delete()
    {
        var vault = Main.Single("Microsoft.KeyVault/vaults").Properties!;

        Assert.True(vault["enableRbacAuthorization"]!.GetValue<bool>());
        Assert.True(vault["enableSoftDelete"]!.GetValue<bool>());
        Assert.Equal(
            ["auth-bootstrap-api-key", "auth-jwt-signing-key", "github-token", "redis-connection-string", "runners-registration-token", "webhooks-secret-key"],
            Main.Module("keyVault").Variables["names"]!.AsObject().Select(p => p.Value!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Postgres_uses_entra_authentication_only_with_the_app_as_administrator()
    {
        var server = Main.Single("Microsoft.DBforPostgreSQL/flexibleServers").Properties!;
        Assert.Equal("Enabled", server["authConfig"]!["activeDirectoryAuth"]!.GetValue<string>());
        Assert.Equal("Disabled", server["authConfig"]!["passwordAuth"]!.GetValue<string>());
        Assert.Null(server["administratorLoginPassword"]);

        Assert.Equal("devmentor", Main.Module("postgres").ArgumentFor("databaseName")!.GetValue<string>());
        Assert.Single(Main.OfType("Microsoft.DBforPostgreSQL/flexibleServers/databases"));

        var admin = Main.Single("Microsoft.DBforPostgreSQL/flexibleServers/administrators");
        Assert.Equal("ServicePrincipal", admin.Properties!["principalType"]!.GetValue<string>());
        Assert.Contains("parameters('appPrincipalId')", admin.Body["name"]!.GetValue<string>(), StringComparison.Ordinal);
        var postgres = Main.Module("postgres");
        Assert.Equal("[reference('functionApp').outputs.principalId.value]", postgres.ArgumentFor("appPrincipalId")!.GetValue<string>());
        Assert.Equal("[reference('functionApp').outputs.name.value]", postgres.ArgumentFor("appPrincipalName")!.GetValue<string>());
    }

    [Fact]
    public void Postgres_is_private_by_default()
    {
        Assert.False(Main.Parameters["postgresPublicAccess"]!["defaultValue"]!.GetValue<bool>());
        var postgres = Main.Module("postgres");
        Assert.Equal("[parameters('postgresPublicAccess')]", postgres.ArgumentFor("publicAccess")!.GetValue<string>());

        var server = Main.Single("Microsoft.DBforPostgreSQL/flexibleServers").Properties!;
        Assert.Equal("[if(parameters('publicAccess'), 'Enabled', 'Disabled')]", server["network"]!["publicNetworkAccess"]!.GetValue<string>());

        // Private: a private endpoint and DNS zone, and the app integrated into the network.
        var endpoint = Main.Single("Microsoft.Network/privateEndpoints");
        Assert.Equal("[not(parameters('publicAccess'))]", endpoint.Body["condition"]!.GetValue<string>());
        Assert.Contains("postgresqlServer", Text(endpoint.Properties), StringComparison.Ordinal);
        Assert.Equal("privatelink.postgres.database.azure.com", Main.Single("Microsoft.Network/privateDnsZones").Body["name"]!.GetValue<string>());
        Assert.Contains("functionSubnetId", Main.Module("functionApp").ArgumentFor("subnetId")!.GetValue<string>(), StringComparison.Ordinal);

        // Public is opt-in, and then only the given firewall rules open it.
        var rules = Main.Single("Microsoft.DBforPostgreSQL/flexibleServers/firewallRules");
        Assert.Contains("if(parameters('publicAccess'), parameters('firewallRules')", Text(rules.Body["copy"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Redis_is_tls_only()
    {
        var cluster = Main.Single("Microsoft.Cache/redisEnterprise").Properties!;
        Assert.Equal("1.2", cluster["minimumTlsVersion"]!.GetValue<string>());

        var database = Main.Single("Microsoft.Cache/redisEnterprise/databases").Properties!;
        Assert.Equal("Encrypted", database["clientProtocol"]!.GetValue<string>());
        Assert.Equal(10000, database["port"]!.GetValue<int>());

        var secret = Main.OfType("Microsoft.KeyVault/vaults/secrets").Single(s => s.Template.Name == "redis");
        Assert.Contains("ssl=True", secret.Properties!["value"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Application_insights_is_workspace_based_and_wired_to_the_app()
    {
        var component = Main.Single("Microsoft.Insights/components").Properties!;
        Assert.Contains("Microsoft.OperationalInsights/workspaces", component["WorkspaceResourceId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[parameters('entraOnlyIngestion')]", component["DisableLocalAuth"]!.GetValue<string>());
        Assert.True(Main.Parameters["appInsightsEntraOnly"]!["defaultValue"]!.GetValue<bool>());

        Assert.Equal("[reference('monitoring').outputs.appInsightsConnectionString.value]",
            deployment.AppSettingsModule.ArgumentFor("appInsightsConnectionString")!.GetValue<string>());
        Assert.Equal("[parameters('appInsightsConnectionString')]", deployment.AppSettings["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
    }

    [Fact]
    public void Runners_are_an_event_driven_container_apps_job_scaled_on_the_runner_queue()
    {
        var job = Main.Single("Microsoft.App/jobs");
        var configuration = job.Properties!["configuration"]!;
        Assert.Equal("Event", configuration["triggerType"]!.GetValue<string>());

        var rule = configuration["eventTriggerConfig"]!["scale"]!["rules"]!.AsArray().Single()!;
        Assert.Equal("metrics-api", rule["type"]!.GetValue<string>());
        Assert.Equal("[format('{0}runners/queue', parameters('serviceUrl'))]", rule["metadata"]!["url"]!.GetValue<string>());
        Assert.Equal("queued", rule["metadata"]!["valueLocation"]!.GetValue<string>());
        Assert.Equal("registration-token", rule["auth"]![0]!["secretRef"]!.GetValue<string>());

        // The registration token comes from Key Vault with the job's identity, never as a value.
        var secret = configuration["secrets"]!.AsArray().Single()!;
        Assert.Null(secret["value"]);
        Assert.Contains("secrets/", secret["keyVaultUrl"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("UserAssigned", job.Body["identity"]!["type"]!.GetValue<string>());
        Assert.Contains("Microsoft.Authorization/roleAssignments", Text(job.Body["dependsOn"]), StringComparison.Ordinal);

        var container = job.Properties!["template"]!["containers"]!.AsArray().Single()!;
        Assert.Equal("[parameters('image')]", container["image"]!.GetValue<string>());
        var env = container["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!);
        Assert.Equal("[parameters('serviceUrl')]", env["Runner__Server"]["value"]!.GetValue<string>());
        Assert.Equal("registration-token", env["Runner__RegistrationToken"]["secretRef"]!.GetValue<string>());
        Assert.Contains("Runner__ExitWhenIdleSeconds", env.Keys);

        var runners = Main.Module("runners");
        Assert.Equal("[parameters('runnerImage')]", runners.ArgumentFor("image")!.GetValue<string>());
        Assert.Equal("[format('https://{0}/', reference('functionApp').outputs.defaultHostName.value)]", runners.ArgumentFor("serviceUrl")!.GetValue<string>());

        // The runner identity reads the registration token and nothing else.
        var runnerRole = runners.Resources.Single(r => r.Type == "Microsoft.Authorization/roleAssignments");
        Assert.Equal("Key Vault Secrets User", RoleOf(runners, runnerRole));
    }

    [Fact]
    public void Container_apps_logs_need_no_workspace_key()
    {
        var environment = Main.Single("Microsoft.App/managedEnvironments").Properties!;

        Assert.Equal("azure-monitor", environment["appLogsConfiguration"]!["destination"]!.GetValue<string>());
        Assert.Single(Main.OfType("Microsoft.Insights/diagnosticSettings"));
    }

    /// <summary>The built-in role a roleAssignments resource grants, from its role definition id.</summary>
    private static string RoleOf(ArmTemplate template, ArmResource assignment)
    {
        var expression = assignment.Properties!["roleDefinitionId"]!.GetValue<string>();
        var roles = template.Variables["roles"] as JsonObject;
        foreach (var (id, name) in BuiltInRoles)
        {
            if (expression.Contains(id, StringComparison.OrdinalIgnoreCase)
                || (roles?.Any(r => r.Value!.GetValue<string>() == id && expression.Contains($".{r.Key})", StringComparison.Ordinal)) ?? false)
                || (template.Variables["keyVaultSecretsUser"]?.GetValue<string>() == id && expression.Contains("variables('keyVaultSecretsUser')", StringComparison.Ordinal)))
            {
                return name;
            }
        }

        throw new Xunit.Sdk.XunitException($"Unknown role in {expression}");
    }
}
