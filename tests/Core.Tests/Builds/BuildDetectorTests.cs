using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Detection;

namespace DevMentor.Core.Tests.Builds;

public sealed class BuildDetectorTests : IDisposable
{
    private const string TestProject = """<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" /></ItemGroup></Project>""";
    private const string LibProject = """<Project Sdk="Microsoft.NET.Sdk"></Project>""";
    private const string Sln = "Microsoft Visual Studio Solution File, Format Version 12.00\n"
        + "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"App\", \"src\\App\\App.csproj\", \"{C3E8822F-F47D-4E14-90D3-ABC16CF3070B}\"\nEndProject\n"
        + "Project(\"{2150E333-8FDC-42A3-9474-1A3956D46DE8}\") = \"tests\", \"tests\", \"{0AB3BF05-4346-4AA6-1389-037BE0695223}\"\nEndProject\n"
        + "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"App.Tests\", \"tests\\App.Tests\\App.Tests.csproj\", \"{2F2350B0-0036-40D7-A1E1-140E07D764A6}\"\nEndProject\n";

    private readonly TempWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private BuildPlan Detect(params string[] tools) => new BuildDetector(new Toolchains(_ws.FakePath(tools))).Detect(_ws.Root);

    private static string[][] Commands(BuildPlan plan, string step) => plan.Step(step)!.Commands.Select(c => c.ToArray()).ToArray();

    [Fact]
    public void Dotnet_solution_restores_tests_with_trx_and_coverage_and_publishes_each_non_test_project()
    {
        _ws.With("App.sln", Sln).With("src/App/App.csproj", LibProject).With("tests/App.Tests/App.Tests.csproj", TestProject);

        var plan = Detect("dotnet");

        Assert.Equal(["install", "test", "build"], plan.Steps.Select(s => s.Name));
        Assert.Equal([["dotnet", "restore", "App.sln"]], Commands(plan, "install"));
        Assert.Equal([["dotnet", "test", "App.sln", "--logger", "trx", "--collect", "XPlat Code Coverage", "--results-directory", ".devmentor-out/test-results"]], Commands(plan, "test"));
        Assert.Equal([["dotnet", "publish", "src/App/App.csproj", "-c", "Release", "-o", ".devmentor-out/publish/App"]], Commands(plan, "build"));
        Assert.Equal("detected: App.sln", plan.Step("install")!.Source);
        Assert.Equal("1", plan.Step("install")!.Env!["DOTNET_CLI_TELEMETRY_OPTOUT"]);
        Assert.Contains(".devmentor-out/publish/**", plan.Artifacts);
        Assert.Contains("**/*.trx", plan.TestReports);
        Assert.Contains("**/coverage.cobertura.xml", plan.CoverageReports);
        Assert.Contains(plan.Notes, n => n.Ecosystem == "dotnet" && n.File == "App.sln" && n.Message.Contains("2 project(s), 1 of them test projects", StringComparison.Ordinal));
        Assert.Null(plan.Image);
    }

    [Fact]
    public void Dotnet_projects_without_a_solution_are_handled_one_by_one()
    {
        _ws.With("src/App/App.csproj", LibProject).With("tests/App.Tests/App.Tests.csproj", TestProject);

        var plan = Detect("dotnet");

        Assert.Equal([["dotnet", "restore", "src/App/App.csproj"], ["dotnet", "restore", "tests/App.Tests/App.Tests.csproj"]], Commands(plan, "install"));
        Assert.Equal("tests/App.Tests/App.Tests.csproj", Commands(plan, "test").Single()[2]);
    }

    [Fact]
    public void Dotnet_without_test_projects_has_no_test_step_and_says_so()
    {
        _ws.With("App.csproj", LibProject);
        var plan = Detect("dotnet");
        Assert.Null(plan.Step("test"));
        Assert.Contains(plan.Notes, n => n.Message.Contains("no test project", StringComparison.Ordinal));
    }

    [Fact]
    public void Node_with_lockfile_uses_npm_ci_and_runs_the_scripts_that_exist()
    {
        _ws.With("package.json", """{"name":"x","version":"1.0.0","scripts":{"test":"node --test","build":"node build.js"}}""").With("package-lock.json", "{}");

        var plan = Detect("npm", "node");

        Assert.Equal(["install", "test", "build", "package"], plan.Steps.Select(s => s.Name));
        Assert.Equal([["npm", "ci"]], Commands(plan, "install"));
        Assert.Equal([["npm", "test"]], Commands(plan, "test"));
        Assert.Equal([["npm", "run", "build"]], Commands(plan, "build"));
        Assert.Equal([["mkdir", "-p", ".devmentor-out/packages"], ["npm", "pack", "--pack-destination", ".devmentor-out/packages"]], Commands(plan, "package"));
        Assert.Contains(".devmentor-out/packages/*.tgz", plan.Artifacts);
        Assert.Contains(plan.Notes, n => n.File == "package-lock.json" && n.Message.Contains("npm ci", StringComparison.Ordinal));
    }

    [Fact]
    public void Node_without_lockfile_or_scripts_installs_and_packs_only()
    {
        _ws.With("package.json", """{"name":"x","scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}""");

        var plan = Detect("npm", "node");

        Assert.Equal(["install", "package"], plan.Steps.Select(s => s.Name));
        Assert.Equal([["npm", "install"]], Commands(plan, "install"));
    }

    [Fact]
    public void Broken_package_json_is_noted_not_fatal()
    {
        _ws.With("package.json", "{ not json");
        var plan = Detect("npm", "node");
        Assert.Equal([["npm", "install"]], Commands(plan, "install"));
        Assert.Contains(plan.Notes, n => n.Message.Contains("not valid JSON", StringComparison.Ordinal));
    }

    [Fact]
    public void Python_pyproject_with_pytest_config_gets_venv_pytest_junit_and_build()
    {
        _ws.With("pyproject.toml", "[project]\nname='x'\n[tool.pytest.ini_options]\n").With("tests/test_x.py", "def test_a(): pass\n");

        var plan = Detect("python3");

        Assert.Equal(
            [["python3", "-m", "venv", ".venv"], [".venv/bin/python", "-m", "pip", "install", "."], [".venv/bin/python", "-m", "pip", "install", "pytest"]],
            Commands(plan, "install"));
        Assert.Equal([[".venv/bin/python", "-m", "pytest", "--junitxml=.devmentor-out/test-results/junit-pytest.xml"]], Commands(plan, "test"));
        Assert.Equal([".venv/bin/python", "-m", "build", "--outdir", ".devmentor-out/packages", "."], Commands(plan, "package")[1]);
    }

    [Fact]
    public void Python_requirements_without_pytest_config_uses_unittest()
    {
        _ws.With("requirements.txt", "requests==2.0\n").With("test_thing.py", "import unittest\n");

        var plan = Detect("python3");

        Assert.Equal([["python3", "-m", "venv", ".venv"], [".venv/bin/python", "-m", "pip", "install", "-r", "requirements.txt"]], Commands(plan, "install"));
        Assert.Equal([[".venv/bin/python", "-m", "unittest", "discover", "-v"]], Commands(plan, "test"));
        Assert.Null(plan.Step("package"));
    }

    [Fact]
    public void Go_module()
    {
        _ws.With("go.mod", "module x\n");
        var plan = Detect("go");
        Assert.Equal([["go", "test", "./..."]], Commands(plan, "test"));
        Assert.Equal([["go", "build", "./..."]], Commands(plan, "build"));
    }

    [Fact]
    public void Makefile_alone_builds_with_make_and_tests_when_a_test_target_exists()
    {
        _ws.With("Makefile", "all:\n\tcc -o x x.c\n\ntest: all\n\t./x --self-test\n");
        var plan = Detect("make");
        Assert.Equal([["make"]], Commands(plan, "build"));
        Assert.Equal([["make", "test"]], Commands(plan, "test"));
    }

    [Fact]
    public void Makefile_without_test_target_and_an_assignment_named_test()
    {
        _ws.With("Makefile", "test := yes\nall:\n\ttrue\n");
        var plan = Detect("make");
        Assert.Null(plan.Step("test"));
    }

    [Fact]
    public void Makefile_next_to_a_specific_ecosystem_is_noted_and_not_used()
    {
        _ws.With("go.mod", "module x\n").With("Makefile", "test:\n\tgo test ./...\n");
        var plan = Detect("go", "make");
        Assert.DoesNotContain(plan.Steps.SelectMany(s => s.Commands), c => c[0] == "make");
        Assert.Contains(plan.Notes, n => n.Ecosystem == "make" && n.Message.Contains("not used", StringComparison.Ordinal));
    }

    [Fact]
    public void Containerfile_is_flagged_as_an_image_and_preferred_over_Dockerfile()
    {
        _ws.With("Containerfile", "FROM scratch\n").With("Dockerfile", "FROM scratch\n");
        var plan = Detect();
        Assert.Equal((".", "Containerfile", "detected: Containerfile"), (plan.Image!.ContextDir, plan.Image.File, plan.Image.Source));
        Assert.Empty(plan.Steps);
    }

    [Fact]
    public void Several_ecosystems_contribute_to_the_same_steps()
    {
        _ws.With("App.csproj", LibProject).With("package.json", """{"scripts":{"test":"node --test"}}""");
        var plan = Detect("dotnet", "npm", "node");
        Assert.Equal([["dotnet", "restore", "App.csproj"], ["npm", "install"]], Commands(plan, "install"));
        Assert.Equal("detected: App.csproj, package.json", plan.Step("install")!.Source);
    }

    [Fact]
    public void A_missing_toolchain_becomes_a_failing_step_that_names_it()
    {
        _ws.With("go.mod", "module x\n").With("package.json", """{"scripts":{"test":"node --test"}}""");

        var plan = Detect("npm", "node"); // no go on this runner

        var install = plan.Step("install")!;
        Assert.Equal("go", install.MissingToolchain);
        var failing = install.Commands.Single(c => c[0] == "sh");
        Assert.Contains("needs go", failing[^1], StringComparison.Ordinal);
        Assert.Contains("go.mod", failing[^1], StringComparison.Ordinal);
        Assert.Contains(install.Commands, c => c.SequenceEqual(["npm", "install"]));
    }

    [Fact]
    public async Task The_missing_toolchain_command_really_fails_with_its_message()
    {
        _ws.With("go.mod", "module x\n");
        var argv = Detect().Step("test")!.Commands.Single();

        var start = new System.Diagnostics.ProcessStartInfo(argv[0]) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.Equal(127, process.ExitCode);
        Assert.Contains("the test step needs go (go, detected from go.mod), but it is not installed", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_to_build_is_said_plainly()
    {
        _ws.With("README.md", "# hi\n");
        var plan = Detect("dotnet", "npm", "node", "python3", "go", "make");
        Assert.Empty(plan.Steps);
        Assert.Contains(plan.Notes, n => n.Ecosystem == "none");
    }

    [Fact]
    public void Dependency_folders_and_symlinks_are_not_searched()
    {
        _ws.With("node_modules/dep/Dep.csproj", LibProject);
        Directory.CreateSymbolicLink(Path.Combine(_ws.Root, "linked"), Path.GetTempPath());
        var plan = Detect("dotnet");
        Assert.Empty(plan.Steps);
    }
}
