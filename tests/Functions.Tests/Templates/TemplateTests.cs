using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Detection;
using DevMentor.Core.Templates;
using DevMentor.Functions.Tests.Projects;
using Xunit.Abstractions;

namespace DevMentor.Functions.Tests.Templates;

/// <summary>
/// GET /templates, variable validation and substitution, and each template's own install, test and
/// build commands, as the service's build planner reads them from its .devmentor.yml, run for real
/// with this machine's toolchains.
/// </summary>
public sealed class TemplateTests(ProjectsApi api, ITestOutputHelper output) : IClassFixture<ProjectsApi>
{
    private static readonly TemplateValues Values = new("demo-api", "Demo.Api", "A demo made by the template tests");

    [Fact]
    public async Task The_list_has_the_six_templates_each_with_readme_gitignore_config_and_health()
    {
        using var response = await api.SendAsync(HttpMethod.Get, "/templates", "anyone");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await ProjectsApi.JsonAsync(response)).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["dotnet-webapi", "node-express", "python-fastapi", "go-http", "static-site", "empty"], items.Select(i => i.GetProperty("name").GetString()));
        foreach (var item in items)
        {
            var files = item.GetProperty("files").EnumerateArray().Select(f => f.GetString()).ToList();
            Assert.Contains("README.md", files);
            Assert.Contains(".gitignore", files);
            Assert.Contains(".devmentor.yml", files);
            Assert.Equal(item.GetProperty("image").GetBoolean(), files.Contains("Containerfile"));
        }

        Assert.All(items.Where(i => i.GetProperty("name").GetString() != "empty"), i => Assert.Equal("/health", i.GetProperty("health").GetString()));

        using var one = await api.SendAsync(HttpMethod.Get, "/templates/node-express", "anyone");
        var contents = (await ProjectsApi.JsonAsync(one)).GetProperty("contents");
        Assert.Contains("{{projectName}}", contents.GetProperty("package.json").GetString(), StringComparison.Ordinal);
        using var missing = await api.SendAsync(HttpMethod.Get, "/templates/cobol-cics", "anyone");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("Demo", null, null, "projectName")]
    [InlineData("demo--api", null, null, "projectName")]
    [InlineData("demo", "demo.api", null, "namespace")]
    [InlineData("demo", null, "a \"quoted\" description", "description")]
    [InlineData("demo", null, "{{namespace}}", "description")]
    [InlineData("demo", null, "line\nbreak", "description")]
    public void Unsafe_values_are_refused_by_name(string name, string? ns, string? description, string field)
    {
        var (values, errors) = TemplateCatalog.Validate(name, ns, description);
        Assert.Null(values);
        Assert.Equal([field], errors.Keys);
    }

    [Fact]
    public void Rendering_substitutes_every_variable_and_derives_the_namespace()
    {
        var (values, _) = TemplateCatalog.Validate("my-web-api", null, "Widgets for all");
        Assert.Equal("MyWebApi", values!.Namespace);
        foreach (var template in TemplateCatalog.All)
        {
            foreach (var file in TemplateCatalog.Render(template.Name, values))
            {
                var text = Encoding.UTF8.GetString(file.Content);
                Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
                Assert.DoesNotContain("{{", file.Path, StringComparison.Ordinal);
            }
        }

        var package = TemplateCatalog.Render("node-express", values).Single(f => f.Path == "package.json");
        using var json = JsonDocument.Parse(package.Content);
        Assert.Equal(("my-web-api", "Widgets for all"), (json.RootElement.GetProperty("name").GetString(), json.RootElement.GetProperty("description").GetString()));
    }

    /// <summary>
    /// Every command of every template, except python-fastapi's two that need PyPI, which this machine's kind cannot
    /// reach: its `pip install -r requirements.txt` and the pytest run that needs those packages (its tests were run by
    /// hand against Debian's python3-fastapi, python3-pytest and python3-httpx). Its venv and compileall run here.
    /// After the steps, each COPY of the template's Containerfile finds its sources in the build context: what
    /// the image build copies is there (the images themselves need their base images; TemplateBuildTests builds
    /// dotnet-webapi's through the service).
    /// dotnet-webapi's commands (restore, test, publish: the suite's slowest minute of CPU here) are not run a second
    /// time: TemplateBuildTests runs this same plan green through the service and builds its image from the publish
    /// output, which fails if a COPY source is missing. Here its plan is checked.
    /// </summary>
    [Theory]
    [InlineData("dotnet-webapi")]
    [InlineData("node-express")]
    [InlineData("go-http")]
    [InlineData("static-site")]
    [InlineData("empty")]
    [InlineData("python-fastapi")]
    public async Task The_templates_own_steps_pass_with_this_machines_toolchains(string name)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"template-{name}-{Guid.NewGuid():N}"[..40]);
        try
        {
            await TemplateCatalog.WriteAsync(directory, TemplateCatalog.Render(name, Values), CancellationToken.None);
            var plan = await BuildPlanner.PlanAsync(directory, Toolchains.FromEnvironment(), CancellationToken.None);
            var template = TemplateCatalog.Find(name)!;
            Assert.Equal(template.Image, plan.Image is not null);
            Assert.Equal(template.Health, plan.Deploy.SingleOrDefault()?.HealthPath);
            Assert.NotEmpty(plan.Steps);
            var needPyPI = new List<string>();
            var builtByTemplateBuildTests = name == "dotnet-webapi";
            foreach (var step in plan.Steps)
            {
                Assert.Null(step.MissingToolchain);
                if (builtByTemplateBuildTests)
                {
                    continue;
                }

                foreach (var command in step.Commands)
                {
                    if (name == "python-fastapi" && (command.Contains("pip") || command.Contains("pytest")))
                    {
                        needPyPI.Add(string.Join(' ', command));
                        continue;
                    }

                    var (exit, log) = await RunAsync(directory, command);
                    output.WriteLine($"[{step.Name}] {string.Join(' ', command)} → {exit}");
                    Assert.True(exit == 0, $"{name}: [{step.Name}] {string.Join(' ', command)} exited {exit}:\n{log}");
                }
            }

            Assert.Equal(name == "python-fastapi"
                ? [".venv/bin/python -m pip install -r requirements.txt", ".venv/bin/python -m pytest --junitxml=.devmentor-out/test-results/pytest.xml"]
                : [], needPyPI);
            if (plan.Image is { } image && !builtByTemplateBuildTests)
            {
                AssertCopySourcesExist(directory, Path.Combine(directory, image.File));
            }
        }
        finally
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A build server may still hold a file; the temp folder is cleaned later.
            }
        }
    }

    /// <summary>Each source of each COPY/ADD without --from (a stage's output) matches something in the build context.</summary>
    private static void AssertCopySourcesExist(string context, string containerfile)
    {
        var copies = File.ReadAllLines(containerfile)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length > 2 && w[0] is "COPY" or "ADD" && !w[1].StartsWith("--from", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(copies);
        foreach (var words in copies)
        {
            foreach (var source in words[1..^1].Where(w => !w.StartsWith("--", StringComparison.Ordinal)))
            {
                var folder = Path.GetDirectoryName(Path.Combine(context, source.TrimEnd('/')))!;
                var pattern = Path.GetFileName(source.TrimEnd('/'));
                Assert.True(source == "." || (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder, pattern).Any()),
                    $"{Path.GetFileName(containerfile)}: {string.Join(' ', words)}: nothing at {source} after the template's steps");
            }
        }
    }

    private static async Task<(int Exit, string Log)> RunAsync(string directory, IReadOnlyList<string> command)
    {
        // A relative program (.venv/bin/python) is the directory's, as a shell there would find it, not this process's.
        var program = command[0].Contains('/', StringComparison.Ordinal) ? Path.Combine(directory, command[0]) : command[0];
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        // Build servers would outlive the test and hold the temp folder.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out after 5 minutes");
        }

        var log = await stdout + await stderr;
        return (process.ExitCode, log.Length > 4000 ? log[^4000..] : log);
    }
}
