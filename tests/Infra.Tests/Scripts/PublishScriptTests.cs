using System.IO.Compression;
using System.Text.Json.Nodes;

namespace DevMentor.Infra.Tests.Scripts;

/// <summary>scripts/publish.sh: the Release publish of src/Functions zipped as the Functions host deploys it.</summary>
public sealed class PublishScriptTests
{
    private static string Script => RepositoryPaths.Combine("scripts", "publish.sh");

    [Fact]
    public async Task Zips_the_function_app_with_everything_the_functions_host_needs()
    {
        var scratch = Directory.CreateTempSubdirectory("publish-");
        try
        {
            var zip = Path.Combine(scratch.FullName, "functions.zip");

            var result = await ProcessRunner.RunAsync("bash", [Script, "--output", zip], RepositoryPaths.Root);

            Assert.True(result.ExitCode == 0, result.Output);
            using var archive = ZipFile.OpenRead(zip);
            var entries = archive.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            // The publish folder is the zip's root (no folder above it), hidden .azurefunctions included.
            Assert.Contains("functions.metadata", entries);
            Assert.Contains("worker.config.json", entries);
            Assert.Contains("host.json", entries);
            Assert.Contains("DevMentor.Functions.dll", entries);
            Assert.Contains(entries, e => e.StartsWith(".azurefunctions/", StringComparison.Ordinal) && e.EndsWith(".dll", StringComparison.Ordinal));

            var metadata = JsonNode.Parse(archive.GetEntry("functions.metadata")!.Open())!.AsArray();
            Assert.Contains(metadata, f => f!["name"]!.GetValue<string>() == "Health");
            var worker = JsonNode.Parse(archive.GetEntry("worker.config.json")!.Open())!;
            Assert.Contains(worker["description"]!["defaultWorkerPath"]!.GetValue<string>(), entries);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Refuses_a_project_that_is_not_an_isolated_worker_app_and_names_what_is_missing()
    {
        var scratch = Directory.CreateTempSubdirectory("publish-console-");
        try
        {
            // A plain console app (no packages, so it restores offline): it publishes, but the host could not run it.
            await File.WriteAllTextAsync(Path.Combine(scratch.FullName, "Plain.csproj"),
                """
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(scratch.FullName, "Program.cs"), "System.Console.WriteLine(1);\n");
            var zip = Path.Combine(scratch.FullName, "out", "plain.zip");

            var result = await ProcessRunner.RunAsync("bash", [Script, "--project", scratch.FullName, "--output", zip], RepositoryPaths.Root);

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("not a deployable Functions app", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("functions.metadata", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("worker.config.json", result.Stderr, StringComparison.Ordinal);
            Assert.Contains(".azurefunctions/", result.Stderr, StringComparison.Ordinal);
            // The worker assembly itself is there, so it is not named as missing.
            Assert.DoesNotContain("Plain.dll", result.Stderr, StringComparison.Ordinal);
            Assert.False(File.Exists(zip));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Rejects_unknown_arguments()
    {
        var result = await ProcessRunner.RunAsync("bash", [Script, "--frobnicate"], RepositoryPaths.Root);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("unknown argument '--frobnicate'", result.Stderr, StringComparison.Ordinal);
    }
}
