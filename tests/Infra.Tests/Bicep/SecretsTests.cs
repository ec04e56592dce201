namespace DevMentor.Infra.Tests.Bicep;

/// <summary>
/// No secret leaves Key Vault's way: secure parameters go to the Key Vault module only, no output
/// carries a secret or a key, no app setting holds a value that is secret, and keys read with a
/// list*() function are written to a Key Vault secret and nowhere else.
/// </summary>
[Collection(CompiledDeploymentCollection.Name)]
public sealed class SecretsTests(CompiledDeployment deployment)
{
    /// <summary>Settings whose values are secrets: each must be a Key Vault reference.</summary>
    public static TheoryData<string> SecretSettings() =>
        ["Auth__Jwt__SigningKey", "Auth__BootstrapApiKey", "Webhooks__SecretKey", "Runners__RegistrationToken", "ConnectionStrings__Redis", "GitHub__Token"];

    private ArmTemplate Main => deployment.Main;

    [Fact]
    public void Secure_parameters_flow_only_into_the_key_vault_module()
    {
        var secure = Main.SecureParameters;
        Assert.Equal(
            ["bootstrapApiKey", "githubToken", "jwtSigningKey", "runnerRegistrationToken", "webhookSecretKey"],
            secure.Order(StringComparer.Ordinal));

        foreach (var module in Main.Modules)
        {
            foreach (var (name, argument) in module.ModuleResource!["properties"]!["parameters"]!.AsObject())
            {
                var text = ArmTemplate.Text(argument);
                if (!ArmTemplate.References(text, secure))
                {
                    continue;
                }

                if (module.Name == "keyVault")
                {
                    Assert.Contains(name, module.SecureParameters);
                }
                else
                {
                    // Only whether an optional secret was given may leave: a bool, never the value.
                    Assert.Matches(@"^\{""value"":""\[not\(empty\(parameters\('[A-Za-z]+'\)\)\)\]""\}$", text);
                }
            }
        }
    }

    [Fact]
    public void In_the_key_vault_module_secret_values_are_used_only_as_secret_values()
    {
        var keyVault = Main.Module("keyVault");
        foreach (var resource in keyVault.Resources)
        {
            foreach (var (path, value) in ArmTemplate.Strings(resource.Body))
            {
                if (ArmTemplate.References(value, keyVault.SecureParameters) && path != "$.properties.value")
                {
                    Assert.Equal("$.condition", path);
                    Assert.StartsWith("[not(empty(parameters(", value, StringComparison.Ordinal);
                }
            }
        }

        Assert.Equal(5, keyVault.Resources.Count(r => r.Type == "Microsoft.KeyVault/vaults/secrets"));
    }

    [Fact]
    public void No_output_holds_a_secret_or_a_key()
    {
        foreach (var template in Main.SelfAndDescendants)
        {
            foreach (var (name, output) in template.Outputs)
            {
                var type = output!["type"]?.GetValue<string>() ?? "";
                Assert.DoesNotContain("secure", type, StringComparison.OrdinalIgnoreCase);
                var text = ArmTemplate.Text(output["value"]);
                Assert.False(ArmTemplate.References(text, template.SecureParameters), $"{template.Name}.{name} reads a secure parameter: {text}");
                Assert.False(ArmTemplate.ListFunction().IsMatch(text), $"{template.Name}.{name} reads keys: {text}");
                Assert.DoesNotContain("AccountKey=", text, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain("password", text, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public void Keys_read_with_list_functions_go_only_into_key_vault_secrets()
    {
        var uses = Main.SelfAndDescendants
            .SelectMany(t => t.Resources.Where(r => r.Type != "Microsoft.Resources/deployments"))
            .SelectMany(r => ArmTemplate.Strings(r.Body).Select(s => (Resource: r, s.Path, s.Value)))
            .Where(u => ArmTemplate.ListFunction().IsMatch(u.Value))
            .ToList();

        // Exactly one: the Redis access key, written into the Redis connection-string secret.
        var use = Assert.Single(uses);
        Assert.Equal("Microsoft.KeyVault/vaults/secrets", use.Resource.Type);
        Assert.Equal("$.properties.value", use.Path);
        Assert.Contains("listKeys(", use.Value, StringComparison.Ordinal);
        Assert.Contains("Microsoft.Cache/redisEnterprise/databases", use.Value, StringComparison.Ordinal);
        // No storage account key is read anywhere (the account allows none).
        Assert.DoesNotContain(Main.SelfAndDescendants.SelectMany(t => ArmTemplate.Strings(t.Json)),
            s => s.Value.Contains("Microsoft.Storage/storageAccounts", StringComparison.Ordinal) && ArmTemplate.ListFunction().IsMatch(s.Value));
    }

    [Fact]
    public void The_app_settings_module_receives_no_secret()
    {
        Assert.Empty(deployment.AppSettingsModule.SecureParameters);
        foreach (var (name, value) in deployment.AppSettings)
        {
            Assert.False(ArmTemplate.ListFunction().IsMatch(value), $"{name} reads keys: {value}");
            Assert.DoesNotContain("AccountKey=", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Password=", value, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SharedAccessSignature", value, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [MemberData(nameof(SecretSettings))]
    public void Secret_settings_are_key_vault_references(string setting)
    {
        var value = deployment.AppSettings[setting];

        Assert.Contains("__bicep.keyVaultReference(parameters('keyVaultUri'), parameters('secretNames').", value, StringComparison.Ordinal);
        var reference = deployment.AppSettingsModule.Json["functions"]![0]!["members"]!["keyVaultReference"]!["output"]!["value"]!.GetValue<string>();
        Assert.Equal("[format('@Microsoft.KeyVault(SecretUri={0}secrets/{1})', parameters('vaultUri'), parameters('secretName'))]", reference);
    }
}
