using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Functions.Catalog;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Catalog;

public sealed class ManifestTests
{
    private static readonly string Root = ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory);
    private static readonly string SchemaDirectory = Path.GetFullPath(Path.Combine(Root, "..", "shared", "schemas", "azure-functions"));

    private static async Task<string> WriteManifestAsync()
    {
        var directory = Directory.CreateTempSubdirectory("manifest-").FullName;
        var exitCode = await ManifestCommand.RunAsync(["--out", directory]);
        Assert.Equal(0, exitCode);
        return directory;
    }

    [Fact]
    public async Task Every_function_gets_a_function_json_valid_against_the_published_schemas()
    {
        var directory = await WriteManifestAsync();

        var (exitCode, output) = await ValidateAsync(directory);

        Assert.True(exitCode == 0, output);
        Assert.Contains("valid host.json", output, StringComparison.Ordinal);
        foreach (var name in new[] { "Health", "HealthReady", "OpenApiDocument", "Housekeeping" })
        {
            Assert.Contains($"valid {name}/function.json", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_validator_rejects_a_broken_binding()
    {
        // Proves the schema check can fail: a binding with an impossible direction.
        var directory = await WriteManifestAsync();
        File.WriteAllText(Path.Combine(directory, "Health", "function.json"),
            """{ "bindings": [ { "type": "httpTrigger", "direction": "sideways", "name": "req" } ] }""");

        var (exitCode, output) = await ValidateAsync(directory);

        Assert.Equal(1, exitCode);
        Assert.Contains("INVALID Health/function.json", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trigger_fields_are_what_the_host_needs()
    {
        var directory = await WriteManifestAsync();

        foreach (var file in Directory.GetFiles(directory, "function.json", SearchOption.AllDirectories))
        {
            var trigger = JsonNode.Parse(File.ReadAllText(file))!["bindings"]![0]!;
            switch ((string?)trigger["type"])
            {
                case "httpTrigger":
                    var methods = trigger["methods"]!.AsArray().Select(m => (string)m!).ToList();
                    Assert.NotEmpty(methods);
                    Assert.All(methods, m => Assert.Equal(m.ToLowerInvariant(), m));
                    var route = (string?)trigger["route"];
                    Assert.False(string.IsNullOrEmpty(route), file);
                    Assert.False(route!.StartsWith('/'), file);
                    Assert.Equal("anonymous", (string?)trigger["authLevel"]);
                    break;
                case "timerTrigger":
                    Assert.Equal(6, ((string)trigger["schedule"]!).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
                    break;
                default:
                    Assert.Fail($"{file}: unexpected trigger {trigger["type"]}");
                    break;
            }
        }
    }

    [Fact]
    public async Task Host_json_is_a_custom_handler_with_an_empty_route_prefix_and_matches_the_committed_copy()
    {
        var directory = await WriteManifestAsync();
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "host.json")))!;

        Assert.Equal("DevMentor.Functions", (string?)host["customHandler"]!["description"]!["defaultExecutablePath"]);
        Assert.True((bool)host["customHandler"]!["enableProxyingHttpRequest"]!);
        Assert.Equal("", (string?)host["extensions"]!["http"]!["routePrefix"]);
        Assert.Equal("[4.*, 5.0.0)", (string?)host["extensionBundle"]!["version"]);
        Assert.True(JsonNode.DeepEquals(host, JsonNode.Parse(File.ReadAllText(Path.Combine(Root, "host.json")))),
            "host.json at the repository root must be what `manifest` writes");
    }

    [Theory]
    [InlineData("/projects/{id}/files/{**path}", "projects/{id}/files/{*path}")]
    [InlineData("/health", "health")]
    [InlineData("projects/{id:guid}", "projects/{id:guid}")]
    public void Routes_are_translated_to_the_hosts_template_syntax(string aspNet, string functions) =>
        Assert.Equal(functions, FunctionCatalog.ToFunctionsRoute(aspNet));

    private static async Task<(int ExitCode, string Output)> ValidateAsync(string manifestDirectory)
    {
        var startInfo = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(Root, "tests", "tools"),
        };
        startInfo.ArgumentList.Add("validate-manifest.mjs");
        startInfo.ArgumentList.Add(SchemaDirectory);
        startInfo.ArgumentList.Add(manifestDirectory);
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
