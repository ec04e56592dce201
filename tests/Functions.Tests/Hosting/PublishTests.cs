using System.Diagnostics;
using System.Text.Json;
using DevMentor.Functions.Hosting;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Hosting;

/// <summary>
/// What `dotnet publish src/Functions -c Release` gives the Functions host: functions.metadata naming
/// every function, worker.config.json pointing at the worker, host.json valid against the published
/// schema, and the .azurefunctions extension bundle naming the extensions the functions' triggers need.
/// Published once per run from the build the test script made (--no-build), into a scratch folder.
/// </summary>
public sealed class PublishTests
{
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    private static async Task<string> PublishAsync()
    {
        var root = ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var output = Path.Combine(TestPostgres.ScratchRoot, "publish-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, text) = await RunAsync(root, "dotnet", "publish", "src/Functions", "-c", configuration, "--no-build", "-o", output, "--nologo", "-v", "q");
        return code == 0 ? output : throw new InvalidOperationException($"dotnet publish failed ({code}): {text}");
    }

    private static async Task<(int Code, string Output)> RunAsync(string workingDirectory, string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static JsonElement Json(string file) => JsonDocument.Parse(File.ReadAllBytes(file)).RootElement;

    [Fact]
    public async Task Functions_metadata_lists_every_http_timer_orchestration_and_activity_function_with_its_trigger()
    {
        var folder = await Published.Value;
        var entries = Json(Path.Combine(folder, "functions.metadata")).EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("bindings").EnumerateArray()
                .Single(b => b.GetProperty("direction").GetString() == "In" && b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal))
                .GetProperty("type").GetString());
        var catalog = FunctionCatalog.App;

        Assert.All(catalog.Http, f => Assert.Equal("httpTrigger", entries[f.Name]));
        Assert.All(catalog.Timers, f => Assert.Equal("timerTrigger", entries[f.Name]));
        Assert.All(catalog.Durable, f => Assert.Equal(f.Kind == DurableKind.Orchestration ? "orchestrationTrigger" : "activityTrigger", entries[f.Name]));
        Assert.Equal(catalog.Names.Count(), entries.Count);
    }

    [Fact]
    public async Task Worker_config_points_the_host_at_the_isolated_worker_assembly()
    {
        var folder = await Published.Value;
        var description = Json(Path.Combine(folder, "worker.config.json")).GetProperty("description");

        Assert.Equal("dotnet-isolated", description.GetProperty("language").GetString());
        Assert.Equal("DevMentor.Functions.dll", description.GetProperty("defaultWorkerPath").GetString());
        Assert.True(File.Exists(Path.Combine(folder, "DevMentor.Functions.dll")));
    }

    [Fact]
    public async Task The_extension_bundle_holds_what_the_triggers_need_and_host_json_and_every_function_are_schema_valid()
    {
        var folder = await Published.Value;
        var bundle = Path.Combine(folder, ".azurefunctions");
        var dependencies = await File.ReadAllTextAsync(Path.Combine(bundle, "function.deps.json"));
        var extensions = Json(Path.Combine(folder, "extensions.json")).GetProperty("extensions").EnumerateArray()
            .Select(e => e.GetProperty("name").GetString()).ToList();
        var root = ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory);
        var (code, validation) = await RunAsync(root, "node", "tests/tools/validate-publish.mjs", "tests/fixtures/schemas/azure-functions", folder);

        Assert.True(Directory.Exists(bundle));
        // The timer trigger lives in Microsoft.Azure.WebJobs.Extensions; the Durable triggers in its DurableTask extension.
        Assert.Contains("\"Microsoft.Azure.WebJobs.Extensions/", dependencies, StringComparison.Ordinal);
        Assert.NotEmpty(FunctionCatalog.App.Durable);
        Assert.Contains("\"Microsoft.Azure.WebJobs.Extensions.DurableTask/", dependencies, StringComparison.Ordinal);
        Assert.Contains("DurableTask", extensions);

        Assert.True(code == 0, validation);
        Assert.Contains("valid host.json", validation, StringComparison.Ordinal);
        Assert.Equal(FunctionCatalog.App.Names.Count() + 1, validation.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.StartsWith("valid ", StringComparison.Ordinal)));
        var host = Json(Path.Combine(folder, "host.json"));
        Assert.Equal("", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.False(host.TryGetProperty("customHandler", out _));
    }
}
