namespace DevMentor.Infra.Tests.Bicep;

/// <summary>Every template and parameter file compiles and lints with no error and no warning.</summary>
[Collection(CompiledDeploymentCollection.Name)]
public sealed class LintTests
{
    private static List<string> Files(string extension) =>
        Directory.EnumerateFiles(RepositoryPaths.Bicep, "*" + extension, SearchOption.AllDirectories)
            .Where(f => f.EndsWith(extension, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(RepositoryPaths.Bicep, f))
            .Order(StringComparer.Ordinal)
            .ToList();

    // One compiler process per file pattern: the compiler's start-up dominates, and the machine is shared.
    [Theory]
    [InlineData(".bicep")]
    [InlineData(".bicepparam")]
    public async Task Every_file_lints_with_no_diagnostics(string extension)
    {
        Assert.NotEmpty(Files(extension));

        var result = await BicepCli.RunAsync("lint", "--pattern", "**/*" + extension);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.True(result.Stdout.Trim().Length == 0 && result.Stderr.Trim().Length == 0, $"bicep lint reported: {result.Output}");
    }

    [Fact]
    public async Task Every_template_builds_with_no_diagnostics()
    {
        var output = Directory.CreateTempSubdirectory("bicep-build-");
        try
        {
            var result = await BicepCli.RunAsync("build", "--pattern", "**/*.bicep", "--outdir", output.FullName);

            Assert.True(result.ExitCode == 0 && result.Stdout.Trim().Length == 0 && result.Stderr.Trim().Length == 0, $"bicep build reported: {result.Output}");
            Assert.Equal(Files(".bicep").Count, output.EnumerateFiles("*.json", SearchOption.AllDirectories).Count());
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_diagnostic_fails_the_lint()
    {
        // The check above can fail: a template with a warning makes the compiler say so.
        var scratch = Directory.CreateTempSubdirectory("bicep-lint-");
        try
        {
            File.Copy(Path.Combine(RepositoryPaths.Bicep, "bicepconfig.json"), Path.Combine(scratch.FullName, "bicepconfig.json"));
            await File.WriteAllTextAsync(Path.Combine(scratch.FullName, "bad.bicep"), "param unused string\n");

            var result = await ProcessRunner.RunAsync(BicepCli.Path, ["lint", "bad.bicep"], scratch.FullName);

            Assert.Contains("no-unused-params", result.Stdout + result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_configuration_turns_off_every_rule_that_needs_the_network()
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Bicep, "bicepconfig.json")))!;
        var rules = config["analyzers"]!["core"]!["rules"]!;

        Assert.Equal("off", rules["use-recent-module-versions"]!["level"]!.GetValue<string>());
        Assert.Equal("off", rules["use-recent-api-versions"]!["level"]!.GetValue<string>());
        // Security rules are errors, not warnings.
        Assert.Equal("error", rules["outputs-should-not-contain-secrets"]!["level"]!.GetValue<string>());
        Assert.Equal("error", rules["secure-secrets-in-params"]!["level"]!.GetValue<string>());
        // No template pulls a module from a registry.
        Assert.DoesNotContain(Directory.EnumerateFiles(RepositoryPaths.Bicep, "*.bicep", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains("'br:", StringComparison.Ordinal) || File.ReadAllText(f).Contains("'br/", StringComparison.Ordinal));
    }
}
