using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace DevMentor.Core.Builds.Detection;

/// <summary>
/// Decides install/test/build/package commands from a checked-out workspace's files and says
/// why. Every ecosystem found contributes (a repository may hold a .NET API and a Node front end);
/// a Makefile is used only when nothing more specific is found, because it usually wraps those tools.
/// </summary>
public sealed partial class BuildDetector(Toolchains toolchains)
{
    private static readonly IReadOnlyDictionary<string, string> DotnetEnv = new Dictionary<string, string>
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        // A step's processes die with it (its PID namespace is killed at the end): a compiler
        // server or MSBuild node it left behind would die mid-build under another run sharing it.
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["UseSharedCompilation"] = "false",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
    };

    private static readonly IReadOnlyDictionary<string, string> NpmEnv = new Dictionary<string, string>
    {
        ["NPM_CONFIG_UPDATE_NOTIFIER"] = "false",
        ["NPM_CONFIG_FUND"] = "false",
        ["NPM_CONFIG_AUDIT"] = "false",
    };

    private static readonly IReadOnlyDictionary<string, string> PythonEnv = new Dictionary<string, string>
    {
        ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1",
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };

    [GeneratedRegex(@"^Project\(""\{[^}]*\}""\)\s*=\s*""[^""]*"",\s*""([^""]+\.(?:cs|fs|vb)proj)""", RegexOptions.Multiline)]
    private static partial Regex SlnProject();

    [GeneratedRegex(@"^test\s*:(?!=)", RegexOptions.Multiline)]
    private static partial Regex MakeTestTarget();

    public BuildPlan Detect(string workspace)
    {
        var files = new WorkspaceFiles(workspace);
        var plan = new PlanBuilder(toolchains);
        var found = false;
        found |= DetectDotnet(files, plan);
        found |= DetectNode(files, plan);
        found |= DetectPython(files, plan);
        found |= DetectGo(files, plan);
        DetectMake(files, plan, found);
        DetectImage(files, plan);
        if (!plan.HasStep("install") && !plan.HasStep("test") && !plan.HasStep("build") && !plan.HasStep("package"))
        {
            plan.Note("none", "", "no build files found (*.sln, *.csproj, package.json, pyproject.toml, requirements.txt, go.mod, Makefile): nothing to install, test or build; add steps in .devmentor.yml");
        }

        return plan.Build();
    }

    private static bool IsProjectFile(string name) => name.EndsWith(".csproj", StringComparison.Ordinal) || name.EndsWith(".fsproj", StringComparison.Ordinal) || name.EndsWith(".vbproj", StringComparison.Ordinal);

    private static bool DetectDotnet(WorkspaceFiles files, PlanBuilder plan)
    {
        var solutions = files.Find(n => n.EndsWith(".sln", StringComparison.Ordinal) || n.EndsWith(".slnx", StringComparison.Ordinal), 0);
        string? solution = null;
        List<string> projects;
        if (solutions.Count > 0)
        {
            solution = solutions[0];
            if (solutions.Count > 1)
            {
                plan.Note("dotnet", solution, $"several solutions at the root ({string.Join(", ", solutions)}): using the first");
            }

            projects = SolutionProjects(files, solution);
        }
        else
        {
            projects = files.Find(IsProjectFile, 3);
            if (projects.Count == 0)
            {
                return false;
            }
        }

        var source = solution ?? projects[0];
        var tests = projects.Where(p => IsTestProject(files.Read(p))).ToList();
        var publishable = projects.Except(tests).ToList();
        plan.Note("dotnet", source, solution is null
            ? $"{projects.Count} project(s) without a solution: {string.Join(", ", projects)}"
            : $"solution with {projects.Count} project(s), {tests.Count} of them test projects");

        string[] dotnet = ["dotnet"];
        IEnumerable<string> targets = solution is null ? projects : [solution];
        plan.Add("install", "dotnet", source, dotnet, targets.Select(t => (IReadOnlyList<string>)["dotnet", "restore", t]), DotnetEnv);
        if (tests.Count > 0)
        {
            IEnumerable<string> testTargets = solution is null ? tests : [solution];
            plan.Add("test", "dotnet", source, dotnet, testTargets.Select(t => (IReadOnlyList<string>)
                ["dotnet", "test", t, "--logger", "trx", "--collect", "XPlat Code Coverage", "--results-directory", BuildOutputs.TestResults]), DotnetEnv);
            plan.Note("dotnet", tests[0], $"test projects ({string.Join(", ", tests)}): dotnet test with the TRX logger and XPlat Code Coverage into {BuildOutputs.TestResults}");
        }
        else
        {
            plan.Note("dotnet", source, "no test project (none references Microsoft.NET.Test.Sdk): no test step");
        }

        if (publishable.Count > 0)
        {
            // One output folder per project: publishing a whole solution into one -o folder mixes their files (NETSDK1194).
            plan.Add("build", "dotnet", source, dotnet, publishable.Select(p => (IReadOnlyList<string>)
                ["dotnet", "publish", p, "-c", "Release", "-o", $"{BuildOutputs.Publish}/{Path.GetFileNameWithoutExtension(p)}"]), DotnetEnv);
            plan.Artifacts.Add(BuildOutputs.Publish + "/**");
            plan.Note("dotnet", source, $"dotnet publish -c Release of {string.Join(", ", publishable)} into {BuildOutputs.Publish}/<project>");
        }

        return true;
    }

    private static List<string> SolutionProjects(WorkspaceFiles files, string solution)
    {
        var text = files.Read(solution);
        IEnumerable<string> paths;
        if (solution.EndsWith(".slnx", StringComparison.Ordinal))
        {
            try
            {
                using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
                paths = XDocument.Load(reader).Descendants().Where(e => e.Name.LocalName == "Project").Select(e => (string?)e.Attribute("Path")).OfType<string>().ToList();
            }
            catch (XmlException)
            {
                paths = [];
            }
        }
        else
        {
            paths = SlnProject().Matches(text).Select(m => m.Groups[1].Value);
        }

        return paths.Select(p => p.Replace('\\', '/')).Where(p => !p.Split('/').Contains("..") && files.Exists(p)).Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static bool IsTestProject(string projectText) =>
        projectText.Contains("Microsoft.NET.Test.Sdk", StringComparison.OrdinalIgnoreCase)
        || projectText.Contains("MSTest.Sdk", StringComparison.OrdinalIgnoreCase)
        || Regex.IsMatch(projectText, @"<IsTestProject>\s*true\s*</IsTestProject>", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));

    private static bool DetectNode(WorkspaceFiles files, PlanBuilder plan)
    {
        if (!files.Exists("package.json"))
        {
            return false;
        }

        var scripts = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            using var json = JsonDocument.Parse(files.Read("package.json"), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 64 });
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("scripts", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                foreach (var script in s.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String))
                {
                    scripts[script.Name] = script.Value.GetString()!;
                }
            }
        }
        catch (JsonException e)
        {
            plan.Note("node", "package.json", $"package.json is not valid JSON ({e.Message}): assuming no scripts");
        }

        string[] npm = ["npm", "node"];
        var lockfile = new[] { "package-lock.json", "npm-shrinkwrap.json" }.FirstOrDefault(files.Exists);
        if (lockfile is not null)
        {
            plan.Add("install", "node", lockfile, npm, [["npm", "ci"]], NpmEnv);
            plan.Note("node", lockfile, "lockfile present: npm ci");
        }
        else
        {
            plan.Add("install", "node", "package.json", npm, [["npm", "install"]], NpmEnv);
            var other = new[] { "yarn.lock", "pnpm-lock.yaml" }.FirstOrDefault(files.Exists);
            plan.Note("node", other ?? "package.json", other is null ? "no lockfile: npm install" : $"{other} is not used (npm only): npm install");
        }

        // "npm init" writes a test script that only fails; running it would fail every build.
        if (scripts.TryGetValue("test", out var test) && !test.Contains("no test specified", StringComparison.Ordinal))
        {
            plan.Add("test", "node", "package.json", npm, [["npm", "test"]], NpmEnv);
            plan.Note("node", "package.json", "scripts.test: npm test");
        }
        else
        {
            plan.Note("node", "package.json", "no test script: no npm test");
        }

        if (scripts.ContainsKey("build"))
        {
            plan.Add("build", "node", "package.json", npm, [["npm", "run", "build"]], NpmEnv);
            plan.Note("node", "package.json", "scripts.build: npm run build");
        }

        plan.Add("package", "node", "package.json", npm, [["npm", "pack", "--pack-destination", BuildOutputs.Packages]], NpmEnv);
        plan.Artifacts.Add(BuildOutputs.Packages + "/*.tgz");
        plan.Note("node", "package.json", $"npm pack into {BuildOutputs.Packages}");
        // npm pack refuses a --pack-destination that does not exist: create it first, without a shell.
        plan.Prepend("package", ["mkdir", "-p", BuildOutputs.Packages]);
        return true;
    }

    private static bool DetectPython(WorkspaceFiles files, PlanBuilder plan)
    {
        var pyproject = files.Exists("pyproject.toml");
        var setupPy = files.Exists("setup.py");
        var requirements = files.Exists("requirements.txt");
        if (!pyproject && !requirements && !setupPy)
        {
            return false;
        }

        var source = pyproject ? "pyproject.toml" : requirements ? "requirements.txt" : "setup.py";
        const string python = ".venv/bin/python";
        string[] tools = ["python3"];
        var install = new List<IReadOnlyList<string>> { new[] { "python3", "-m", "venv", ".venv" } };
        var extraRequirements = new[] { "requirements-dev.txt", "requirements-test.txt", "dev-requirements.txt", "test-requirements.txt" }.Where(files.Exists).ToList();
        foreach (var file in (requirements ? ["requirements.txt"] : Array.Empty<string>()).Concat(extraRequirements))
        {
            install.Add([python, "-m", "pip", "install", "-r", file]);
        }

        if (pyproject || setupPy)
        {
            install.Add([python, "-m", "pip", "install", "."]);
        }

        var manifests = string.Concat(new[] { "requirements.txt", "pyproject.toml", "setup.cfg", "tox.ini" }.Concat(extraRequirements).Select(files.Read));
        var pytestConfig = files.Exists("pytest.ini") || files.Exists("conftest.py")
            || files.Read("pyproject.toml").Contains("[tool.pytest", StringComparison.Ordinal)
            || files.Read("setup.cfg").Contains("[tool:pytest]", StringComparison.Ordinal)
            || files.Read("tox.ini").Contains("[pytest]", StringComparison.Ordinal);
        var testFiles = files.Find(n => n.EndsWith(".py", StringComparison.Ordinal) && (n.StartsWith("test_", StringComparison.Ordinal) || n.EndsWith("_test.py", StringComparison.Ordinal)), 3);
        var testsDir = files.DirectoryExists("tests") || files.DirectoryExists("test");
        if (pytestConfig || (testsDir && testFiles.Count > 0))
        {
            // A dependency on pytest, not its configuration section ([tool.pytest...], [tool:pytest], [pytest]).
            if (!Regex.IsMatch(manifests, @"(?<![.:\[])\bpytest\b(?!\])", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)))
            {
                install.Add([python, "-m", "pip", "install", "pytest"]);
            }

            plan.Add("test", "python", source, tools, [[python, "-m", "pytest", $"--junitxml={BuildOutputs.TestResults}/junit-pytest.xml"]], PythonEnv);
            plan.Note("python", pytestConfig ? "pytest configuration" : "tests/", "pytest with a JUnit XML report");
        }
        else if (testFiles.Count > 0)
        {
            plan.Add("test", "python", source, tools, [[python, "-m", "unittest", "discover", "-v"]], PythonEnv);
            plan.Note("python", testFiles[0], "test files without pytest configuration: python -m unittest discover");
        }
        else
        {
            plan.Note("python", source, "no test files (test_*.py, *_test.py): no test step");
        }

        plan.Add("install", "python", source, tools, install, PythonEnv);
        plan.Note("python", source, "virtual environment .venv; pip install " + (requirements ? "-r requirements.txt" : ".") + (extraRequirements.Count > 0 ? " and " + string.Join(", ", extraRequirements) : ""));
        if (pyproject)
        {
            plan.Add("package", "python", "pyproject.toml", tools,
                [[python, "-m", "pip", "install", "build"], [python, "-m", "build", "--outdir", BuildOutputs.Packages, "."]], PythonEnv);
            plan.Artifacts.Add(BuildOutputs.Packages + "/*.whl");
            plan.Artifacts.Add(BuildOutputs.Packages + "/*.tar.gz");
            plan.Note("python", "pyproject.toml", $"sdist and wheel with python -m build into {BuildOutputs.Packages}");
        }

        return true;
    }

    private static bool DetectGo(WorkspaceFiles files, PlanBuilder plan)
    {
        if (!files.Exists("go.mod"))
        {
            return false;
        }

        string[] go = ["go"];
        plan.Add("install", "go", "go.mod", go, [["go", "mod", "download"]]);
        plan.Add("test", "go", "go.mod", go, [["go", "test", "./..."]]);
        plan.Add("build", "go", "go.mod", go, [["go", "build", "./..."]]);
        plan.Note("go", "go.mod", "go mod download; go test ./...; go build ./...");
        return true;
    }

    private static void DetectMake(WorkspaceFiles files, PlanBuilder plan, bool otherEcosystem)
    {
        var makefile = new[] { "GNUmakefile", "makefile", "Makefile" }.FirstOrDefault(files.Exists);
        if (makefile is null)
        {
            return;
        }

        if (otherEcosystem)
        {
            plan.Note("make", makefile, "Makefile present but not used: a more specific build was detected (override in .devmentor.yml to use make)");
            return;
        }

        string[] make = ["make"];
        plan.Add("build", "make", makefile, make, [["make"]]);
        if (MakeTestTarget().IsMatch(files.Read(makefile)))
        {
            plan.Add("test", "make", makefile, make, [["make", "test"]]);
            plan.Note("make", makefile, "make; make test (a test target exists)");
        }
        else
        {
            plan.Note("make", makefile, "make (no test target)");
        }
    }

    private static void DetectImage(WorkspaceFiles files, PlanBuilder plan)
    {
        var file = new[] { "Containerfile", "Dockerfile" }.FirstOrDefault(files.Exists);
        if (file is not null)
        {
            plan.Image = new ImagePlan(".", file, [], "detected: " + file);
            plan.Note("container", file, "image built from the repository root with buildah");
        }
    }
}
