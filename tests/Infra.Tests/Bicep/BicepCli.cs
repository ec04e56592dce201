using System.Reflection;
using System.Text.Json.Nodes;

namespace DevMentor.Infra.Tests.Bicep;

/// <summary>
/// The Bicep compiler restored from NuGet (Azure.Bicep.CommandLine.linux-x64, whose build props
/// name the executable; the project records that path in the test assembly). It needs no network:
/// the resource types are built into it.
/// </summary>
internal static class BicepCli
{
    public static string Path { get; } = Locate();

    /// <summary>Values the parameter files read with readEnvironmentVariable: names and secrets of a test deployment.</summary>
    public static IReadOnlyDictionary<string, string> ParameterEnvironment { get; } = new Dictionary<string, string>
    {
        ["AZURE_ENV_NAME"] = "infra-test",
        ["AZURE_LOCATION"] = "westeurope",
        ["DEVMENTOR_RUNNER_IMAGE"] = "registry.example.test/devmentor-runner:1.0",
        ["DEVMENTOR_JWT_SIGNING_KEY"] = "test-jwt-signing-key-0123456789abcdef",
        ["DEVMENTOR_WEBHOOK_SECRET_KEY"] = Convert.ToBase64String(new byte[32]),
        ["DEVMENTOR_BOOTSTRAP_API_KEY"] = "test-bootstrap-api-key-0123456789abcdef",
        ["DEVMENTOR_RUNNER_REGISTRATION_TOKEN"] = "test-registration-token-0123",
    };

    public static Task<ProcessResult> RunAsync(params string[] arguments) =>
        ProcessRunner.RunAsync(Path, arguments, RepositoryPaths.Bicep, ParameterEnvironment, TimeSpan.FromMinutes(5));

    /// <summary>`bicep build FILE --stdout`: the ARM template, failing on any diagnostic.</summary>
    public static async Task<JsonObject> BuildAsync(string file)
    {
        var result = await RunAsync("build", file, "--stdout");
        Assert.True(result.ExitCode == 0 && result.Stderr.Trim().Length == 0, $"bicep build {file}: {result.Output}");
        return JsonNode.Parse(result.Stdout)!.AsObject();
    }

    /// <summary>`bicep build-params FILE --stdout`: the deployment parameters the file produces.</summary>
    public static async Task<JsonObject> BuildParamsAsync(string file, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var environment = new Dictionary<string, string>(ParameterEnvironment);
        foreach (var (key, value) in extraEnvironment ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var result = await ProcessRunner.RunAsync(Path, ["build-params", file, "--stdout"], RepositoryPaths.Bicep, environment, TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0 && result.Stderr.Trim().Length == 0, $"bicep build-params {file}: {result.Output}");
        var wrapper = JsonNode.Parse(result.Stdout)!.AsObject();
        return JsonNode.Parse(wrapper["parametersJson"]!.GetValue<string>())!["parameters"]!.AsObject();
    }

    private static string Locate()
    {
        var path = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "BicepPath")?.Value;
        // The package's props build the path with Windows separators.
        path = string.IsNullOrEmpty(path) ? path : System.IO.Path.GetFullPath(path.Replace('\\', '/'));
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The Bicep compiler is missing (BicepPath '{path}'): restore tests/Infra.Tests, which references Azure.Bicep.CommandLine.linux-x64.");
        }

        return path;
    }
}
