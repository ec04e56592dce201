using DevMentor.Core.Code.Dependencies;

namespace DevMentor.Core.Tests.Code;

/// <summary>Each manifest and lock format, their merge, malformed files, and version order per ecosystem.</summary>
public sealed class ManifestParsersTests
{
    private static Dependency One(IEnumerable<Dependency> all, string name) => Assert.Single(all, d => d.Name == name);

    [Fact]
    public void Npm_manifest_and_lock_merge_into_direct_rows_with_resolved_versions_and_transitive_rows()
    {
        var manifest = ManifestParsers.Parse("web/package.json", """{"dependencies":{"react":"^18.2.0"},"devDependencies":{"jest":"~29.0.0"}}""");
        var lockFile = ManifestParsers.Parse("web/package-lock.json", """
            {"lockfileVersion":3,"packages":{
              "":{"dependencies":{"react":"^18.2.0"},"devDependencies":{"jest":"~29.0.0"}},
              "node_modules/react":{"version":"18.3.1"},
              "node_modules/jest":{"version":"29.0.3","dev":true},
              "node_modules/loose-envify":{"version":"1.4.0"}}}
            """);
        var merged = ManifestParsers.Merge([manifest, lockFile]);
        Assert.Equal(new Dependency("npm", "react", "^18.2.0", "18.3.1", true, "runtime", "web/package.json"), One(merged, "react"));
        Assert.Equal("dev", One(merged, "jest").Scope);
        var transitive = One(merged, "loose-envify");
        Assert.False(transitive.Direct);
        Assert.Equal("1.4.0", transitive.Resolved);
    }

    [Fact]
    public void DotNet_csproj_central_versions_and_lock_file()
    {
        var csproj = ManifestParsers.Parse("src/App/App.csproj", """
            <Project Sdk="Microsoft.NET.Sdk"><ItemGroup>
              <PackageReference Include="Npgsql" Version="10.0.0" />
              <PackageReference Include="coverlet.collector" Version="6.0.4" PrivateAssets="all" />
            </ItemGroup></Project>
            """);
        Assert.Equal("10.0.0", One(csproj.Dependencies, "Npgsql").Resolved);
        Assert.Equal("dev", One(csproj.Dependencies, "coverlet.collector").Scope);
        var central = ManifestParsers.Parse("Directory.Packages.props", """<Project><ItemGroup><PackageVersion Include="Octokit" Version="14.0.0" /></ItemGroup></Project>""");
        Assert.Equal("14.0.0", One(central.Dependencies, "Octokit").Declared);
        var lockFile = ManifestParsers.Parse("src/App/packages.lock.json", """
            {"version":1,"dependencies":{"net10.0":{
              "Npgsql":{"type":"Direct","requested":"[10.0.0, )","resolved":"10.0.0"},
              "Microsoft.Extensions.Logging.Abstractions":{"type":"Transitive","resolved":"10.0.0"}}}}
            """);
        Assert.False(One(lockFile.Dependencies, "Microsoft.Extensions.Logging.Abstractions").Direct);
        Assert.True(One(lockFile.Dependencies, "Npgsql").Direct);
    }

    [Fact]
    public void Python_requirements_pyproject_and_poetry_lock()
    {
        var requirements = ManifestParsers.Parse("requirements-dev.txt", "# tools\nDjango==4.2.1\nrequests[socks]>=2.0 ; python_version > '3.8'\n-r base.txt\n");
        Assert.Equal("4.2.1", One(requirements.Dependencies, "django").Resolved);
        Assert.Equal(">=2.0", One(requirements.Dependencies, "requests").Declared);
        Assert.All(requirements.Dependencies, d => Assert.Equal("dev", d.Scope));
        var pyproject = ManifestParsers.Parse("pyproject.toml", """
            [project]
            dependencies = ["httpx>=0.27", "Flask_Login"]
            [tool.poetry.group.dev.dependencies]
            pytest = "^8.0"
            """);
        Assert.Equal(">=0.27", One(pyproject.Dependencies, "httpx").Declared);
        Assert.Null(One(pyproject.Dependencies, "flask-login").Declared);
        Assert.Equal("dev", One(pyproject.Dependencies, "pytest").Scope);
        var poetry = ManifestParsers.Parse("poetry.lock", "[[package]]\nname = \"httpx\"\nversion = \"0.27.2\"\n");
        Assert.Equal("0.27.2", One(ManifestParsers.Merge([pyproject, poetry]), "httpx").Resolved);
    }

    [Fact]
    public void Go_mod_and_sum_rust_and_maven()
    {
        var mod = ManifestParsers.Parse("go.mod", "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/pkg/errors v0.9.1\n\tgolang.org/x/text v0.14.0 // indirect\n)\nrequire rsc.io/quote v1.5.2\n");
        Assert.True(One(mod.Dependencies, "github.com/pkg/errors").Direct);
        Assert.False(One(mod.Dependencies, "golang.org/x/text").Direct);
        Assert.Equal("v1.5.2", One(mod.Dependencies, "rsc.io/quote").Resolved);
        var sum = ManifestParsers.Parse("go.sum", "rsc.io/sampler v1.3.0 h1:abc=\nrsc.io/sampler v1.99.99/go.mod h1:def=\n");
        Assert.Equal("v1.99.99", One(sum.Dependencies, "rsc.io/sampler").Resolved);

        var cargo = ManifestParsers.Parse("Cargo.toml", "[package]\nname = \"app\"\n[dependencies]\nserde = { version = \"1.0\", features = [\"derive\"] }\nrand = \"0.8\"\n[dev-dependencies]\ninsta = \"1\"\n");
        Assert.Equal("1.0", One(cargo.Dependencies, "serde").Declared);
        Assert.Equal("dev", One(cargo.Dependencies, "insta").Scope);
        var cargoLock = ManifestParsers.Parse("Cargo.lock", "version = 3\n[[package]]\nname = \"serde\"\nversion = \"1.0.210\"\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\n");
        var merged = ManifestParsers.Merge([cargo, cargoLock]);
        Assert.Equal("1.0.210", One(merged, "serde").Resolved);
        Assert.False(One(merged, "itoa").Direct);

        var pom = ManifestParsers.Parse("pom.xml", """
            <project xmlns="http://maven.apache.org/POM/4.0.0"><properties><junit.version>5.10.0</junit.version></properties>
            <dependencies>
              <dependency><groupId>com.google.guava</groupId><artifactId>guava</artifactId><version>33.0.0-jre</version></dependency>
              <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><version>${junit.version}</version><scope>test</scope></dependency>
            </dependencies></project>
            """);
        Assert.Equal("33.0.0-jre", One(pom.Dependencies, "com.google.guava:guava").Resolved);
        var junit = One(pom.Dependencies, "org.junit.jupiter:junit-jupiter");
        Assert.Equal(("5.10.0", "dev"), (junit.Declared, junit.Scope));
    }

    [Theory]
    [InlineData("package.json", "{\"dependencies\": ")]
    [InlineData("package.json", "{\"dependencies\": [1]}")]
    [InlineData("App.csproj", "<Project><ItemGroup><PackageReference Include=")]
    [InlineData("Cargo.toml", "[dependencies\nserde = ")]
    [InlineData("go.mod", "require (\n  github.com/x/y v1.0.0\n")]
    [InlineData("requirements.txt", "this is not a requirement!\n")]
    [InlineData("pom.xml", "<project><dependencies><dependency><artifactId>x</artifactId></dependency></dependencies></project>")]
    public void Malformed_manifests_throw_a_manifest_error_naming_the_file(string name, string text)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestParsers.Parse("dir/" + name, text));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nuget", "1.2.3", "1.10.0", -1)]
    [InlineData("nuget", "2.0.0-beta", "2.0.0", -1)]
    [InlineData("npm", "1.10.0", "1.9.9", 1)]
    [InlineData("npm", "1.0.0-rc.1", "1.0.0-rc.2", -1)]
    [InlineData("go", "v0.9.1", "v0.10.0", -1)]
    [InlineData("cargo", "1.0.210", "1.0.210", 0)]
    [InlineData("pypi", "2.10", "2.9.1", 1)]
    [InlineData("pypi", "1.0rc1", "1.0", -1)]
    [InlineData("maven", "33.0.0-jre", "32.1.3-jre", 1)]
    public void Versions_compare_by_their_ecosystems_rules(string ecosystem, string a, string b, int sign) =>
        Assert.Equal(sign, Math.Sign(VersionOrder.Compare(ecosystem, a, b)!.Value));

    [Fact]
    public void Changes_name_added_removed_upgraded_and_downgraded()
    {
        Dependency D(string name, string version) => new("npm", name, "^" + version, version, true, "runtime", "package.json");
        var changes = DependencyDiff.Compare([D("a", "1.0.0"), D("b", "2.0.0"), D("c", "1.2.0"), D("same", "1.0.0")], [D("a", "1.10.0"), D("c", "1.1.9"), D("d", "0.1.0"), D("same", "1.0.0")]);
        Assert.Equal(["a:upgraded", "b:removed", "c:downgraded", "d:added"], changes.Select(c => $"{c.Name}:{c.Change}"));
    }
}
