namespace DevMentor.Functions.Tests.Builds;

/// <summary>A local git repository made by the fixture: clone it by <see cref="FileUrl"/>.</summary>
/// <param name="Commits">Oldest first; the last one is <see cref="HeadSha"/>.</param>
public sealed record SampleRepository(string Name, string Path, string Branch, IReadOnlyList<string> Commits)
{
    public string HeadSha => Commits[^1];

    public string FileUrl => new Uri(Path).AbsoluteUri;
}

/// <summary>
/// Local git repositories for build tests, created once per test class: a .NET solution with
/// xunit tests (and a variant with one failing test), a Node package with node:test tests and a
/// build script (and a failing variant), a repository with a Containerfile, one with an invalid
/// .devmentor.yml, and one with history (30 commits on main, a feature branch and a tag) for
/// clone tests. Package versions are the ones this machine's NuGet cache holds.
/// </summary>
public sealed class SampleRepositories : IDisposable
{
    public const int DotnetPassing = 3;
    public const int NodePassing = 3;

    public SampleRepositories()
    {
        Root = Directory.CreateTempSubdirectory("devmentor-samples-").FullName;
        Dotnet = CreateDotnet("dotnet", failing: false);
        DotnetFailing = CreateDotnet("dotnet-failing", failing: true);
        Node = CreateNode("node", failing: false);
        NodeFailing = CreateNode("node-failing", failing: true);
        Container = Create("container", new Dictionary<string, string>
        {
            ["Containerfile"] = "FROM scratch\nCOPY hello.txt /hello.txt\n",
            ["hello.txt"] = "hello from the devmentor sample image\n",
        });
        InvalidConfig = CreateNode("invalid-config", failing: false, extra: new Dictionary<string, string>
        {
            // Line 3, column 5: a misspelt key inside a step.
            [".devmentor.yml"] = "steps:\n  - name: test\n    comands: [npm test]\n",
        });
        History = CreateHistory();
    }

    public string Root { get; }

    /// <summary>.NET solution: a library and an xunit project with 3 passing tests.</summary>
    public SampleRepository Dotnet { get; }

    /// <summary>As <see cref="Dotnet"/> plus one failing test: 3 passed, 1 failed.</summary>
    public SampleRepository DotnetFailing { get; }

    /// <summary>Node package, lockfile, node:test tests (3 passing, one in a describe block) writing junit.xml, a build script.</summary>
    public SampleRepository Node { get; }

    /// <summary>As <see cref="Node"/> plus one failing test: 3 passed, 1 failed.</summary>
    public SampleRepository NodeFailing { get; }

    /// <summary>A Containerfile FROM scratch copying one static file.</summary>
    public SampleRepository Container { get; }

    /// <summary>The Node sample with a .devmentor.yml whose step has an unknown key at line 3, column 5.</summary>
    public SampleRepository InvalidConfig { get; }

    /// <summary>30 commits on main; branch "feature" with 2 more commits off main's tip; tag "v1" on the 5th commit.</summary>
    public SampleRepository History { get; }

    public IReadOnlyList<string> FeatureCommits { get; private set; } = [];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
        }
    }

    private SampleRepository Create(string name, IReadOnlyDictionary<string, string> files)
    {
        var path = System.IO.Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        GitCli.Run(path, "init", "--quiet");
        Write(path, files);
        var sha = GitCli.CommitAll(path, $"{name} sample");
        return new SampleRepository(name, path, "main", [sha]);
    }

    private static void Write(string root, IReadOnlyDictionary<string, string> files)
    {
        foreach (var (relative, content) in files)
        {
            var file = System.IO.Path.Combine(root, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            File.WriteAllText(file, content);
        }
    }

    private SampleRepository CreateDotnet(string name, bool failing)
    {
        const string library = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            </Project>
            """;
        const string tests = """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsPackable>false</IsPackable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <PackageReference Include="coverlet.collector" Version="6.0.4" />
              </ItemGroup>
              <ItemGroup>
                <ProjectReference Include="../../src/Calc/Calc.csproj" />
              </ItemGroup>
            </Project>
            """;
        const string code = """
            namespace Calc;

            public static class Calculator
            {
                public static int Add(int a, int b) => a + b;

                public static int Divide(int a, int b) => b == 0 ? throw new DivideByZeroException() : a / b;

                public static bool IsEven(int n) => n % 2 == 0;
            }
            """;
        var testCode = """
            using Calc;
            using Xunit;

            namespace Calc.Tests;

            public class CalculatorTests
            {
                [Fact]
                public void Adds() => Assert.Equal(5, Calculator.Add(2, 3));

                [Fact]
                public void Divides() => Assert.Equal(2, Calculator.Divide(6, 3));

                [Fact]
                public void Division_by_zero_throws() => Assert.Throws<DivideByZeroException>(() => Calculator.Divide(1, 0));

            """ + (failing ? "    [Fact]\n    public void Three_is_even() => Assert.True(Calculator.IsEven(3), \"3 should be even\");\n" : "") + "}\n";
        var sln = "\nMicrosoft Visual Studio Solution File, Format Version 12.00\n# Visual Studio Version 17\n"
            + "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Calc\", \"src\\Calc\\Calc.csproj\", \"{C3E8822F-F47D-4E14-90D3-ABC16CF3070B}\"\nEndProject\n"
            + "Project(\"{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}\") = \"Calc.Tests\", \"tests\\Calc.Tests\\Calc.Tests.csproj\", \"{2F2350B0-0036-40D7-A1E1-140E07D764A6}\"\nEndProject\n"
            + "Global\n\tGlobalSection(SolutionConfigurationPlatforms) = preSolution\n\t\tDebug|Any CPU = Debug|Any CPU\n\t\tRelease|Any CPU = Release|Any CPU\n\tEndGlobalSection\n"
            + "\tGlobalSection(ProjectConfigurationPlatforms) = postSolution\n"
            + string.Concat(new[] { "{C3E8822F-F47D-4E14-90D3-ABC16CF3070B}", "{2F2350B0-0036-40D7-A1E1-140E07D764A6}" }.SelectMany(g => new[]
            {
                $"\t\t{g}.Debug|Any CPU.ActiveCfg = Debug|Any CPU\n", $"\t\t{g}.Debug|Any CPU.Build.0 = Debug|Any CPU\n",
                $"\t\t{g}.Release|Any CPU.ActiveCfg = Release|Any CPU\n", $"\t\t{g}.Release|Any CPU.Build.0 = Release|Any CPU\n",
            }))
            + "\tEndGlobalSection\nEndGlobal\n";
        return Create(name, new Dictionary<string, string>
        {
            ["Calc.sln"] = sln,
            ["src/Calc/Calc.csproj"] = library,
            ["src/Calc/Calculator.cs"] = code,
            ["tests/Calc.Tests/Calc.Tests.csproj"] = tests,
            ["tests/Calc.Tests/CalculatorTests.cs"] = testCode,
            [".gitignore"] = "bin/\nobj/\n.devmentor-out/\n",
        });
    }

    private SampleRepository CreateNode(string name, bool failing, IReadOnlyDictionary<string, string>? extra = null)
    {
        var files = new Dictionary<string, string>
        {
            ["package.json"] = """
                {
                  "name": "devmentor-sample-node",
                  "version": "1.0.0",
                  "description": "DevMentor build sample",
                  "main": "dist/index.js",
                  "license": "MIT",
                  "scripts": {
                    "test": "node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=junit.xml",
                    "build": "node build.js"
                  }
                }
                """,
            ["package-lock.json"] = """
                {
                  "name": "devmentor-sample-node",
                  "version": "1.0.0",
                  "lockfileVersion": 3,
                  "requires": true,
                  "packages": {
                    "": {
                      "name": "devmentor-sample-node",
                      "version": "1.0.0",
                      "license": "MIT"
                    }
                  }
                }
                """,
            ["src/index.js"] = "exports.add = (a, b) => a + b;\nexports.greet = (name) => `hello ${name}`;\n",
            ["build.js"] = "const fs = require('node:fs');\nfs.mkdirSync('dist', { recursive: true });\nfs.copyFileSync('src/index.js', 'dist/index.js');\nconsole.log('built dist/index.js');\n",
            ["test/index.test.js"] = """
                const test = require('node:test');
                const assert = require('node:assert');
                const { add, greet } = require('../src/index.js');

                test('adds numbers', () => assert.strictEqual(add(2, 3), 5));
                test('greets', () => assert.strictEqual(greet('ada'), 'hello ada'));
                test.describe('edge cases', () => {
                  test.it('adds negatives', () => assert.strictEqual(add(-2, -3), -5));
                """ + (failing ? "\n  test.it('adds strings as numbers', () => assert.strictEqual(add('2', '3'), 5));" : "") + "\n});\n",
            [".gitignore"] = "node_modules/\ndist/\njunit.xml\n.devmentor-out/\n*.tgz\n",
        };
        foreach (var (path, content) in extra ?? new Dictionary<string, string>())
        {
            files[path] = content;
        }

        return Create(name, files);
    }

    private SampleRepository CreateHistory()
    {
        var path = System.IO.Path.Combine(Root, "history");
        Directory.CreateDirectory(path);
        GitCli.Run(path, "init", "--quiet");
        var commits = new List<string>();
        for (var i = 1; i <= 30; i++)
        {
            File.WriteAllText(System.IO.Path.Combine(path, "counter.txt"), $"{i}\n");
            commits.Add(GitCli.CommitAll(path, $"commit {i}"));
            if (i == 5)
            {
                GitCli.Run(path, "tag", "v1");
            }
        }

        GitCli.Run(path, "checkout", "--quiet", "-b", "feature");
        var feature = new List<string>();
        for (var i = 1; i <= 2; i++)
        {
            File.WriteAllText(System.IO.Path.Combine(path, "feature.txt"), $"feature {i}\n");
            feature.Add(GitCli.CommitAll(path, $"feature {i}"));
        }

        GitCli.Run(path, "checkout", "--quiet", "main");
        FeatureCommits = feature;
        return new SampleRepository("history", path, "main", commits);
    }
}
