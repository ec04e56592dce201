using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Scheduling;
using DevMentor.Functions.Catalog;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NCrontab;

namespace DevMentor.Functions.Tests.Catalog;

public sealed class ManifestTests
{
    private static readonly string Root = ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory);
    private static readonly string SchemaDirectory = Path.GetFullPath(Path.Combine(Root, "tests", "fixtures", "schemas", "azure-functions"));

    private static readonly string[] HostVerbs = ["get", "post", "delete", "head", "patch", "put", "options", "trace"];

    /// <summary>Runs the executable as the README does: <c>DevMentor.Functions manifest --out DIR</c>.</summary>
    private static async Task<string> WriteManifestAsync()
    {
        var directory = Directory.CreateTempSubdirectory("manifest-").FullName;
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory.CreateTempSubdirectory("manifest-cwd-").FullName,
        };
        foreach (var argument in new[] { ServiceProcess.ExecutablePath, "manifest", "--out", directory })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stdout + await stderr);
        Assert.Contains("Wrote host.json and", await stdout, StringComparison.Ordinal);
        return directory;
    }

    [Fact]
    public async Task The_manifest_has_one_folder_per_function_in_the_catalog_and_nothing_else()
    {
        var directory = await WriteManifestAsync();
        await using var app = DevMentorApp.Build(DevMentorApp.CreateBuilder([], Directory.CreateTempSubdirectory("catalog-").FullName));
        var catalog = FunctionCatalog.From(app, app.Services.GetRequiredService<TimerCatalog>());

        var folders = Directory.GetDirectories(directory).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(catalog.Names.Order(StringComparer.Ordinal).ToList(), folders);
        Assert.All(folders, f => Assert.True(File.Exists(Path.Combine(directory, f, "function.json")), f));
        Assert.Contains("Housekeeping", folders);
        Assert.Contains("Health", folders);
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
            var bindings = JsonNode.Parse(File.ReadAllText(file))!["bindings"]!.AsArray();
            var trigger = bindings[0]!;
            Assert.Equal("in", (string?)trigger["direction"]);
            switch ((string?)trigger["type"])
            {
                case "httpTrigger":
                    var methods = trigger["methods"]!.AsArray().Select(m => (string)m!).ToList();
                    Assert.NotEmpty(methods);
                    // The schema only constrains the first item of `methods`; every verb must be one the host knows, in lower case.
                    Assert.All(methods, m => Assert.Contains(m, HostVerbs));
                    var route = (string?)trigger["route"];
                    Assert.False(string.IsNullOrEmpty(route), file);
                    Assert.False(route!.StartsWith('/'), file);
                    Assert.Equal("anonymous", (string?)trigger["authLevel"]);
                    var output = Assert.Single(bindings, b => (string?)b!["direction"] == "out")!;
                    Assert.Equal("http", (string?)output["type"]);
                    Assert.Equal(2, bindings.Count);
                    break;
                case "timerTrigger":
                    var schedule = (string)trigger["schedule"]!;
                    Assert.Equal(6, schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
                    Assert.NotNull(CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }));
                    Assert.Single(bindings);
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
