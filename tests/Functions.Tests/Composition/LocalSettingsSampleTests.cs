using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Composition;

/// <summary>
/// local.settings.sample.json is what a developer copies to local.settings.json: it lists every
/// setting the README documents, with values the service starts with.
/// </summary>
public sealed partial class LocalSettingsSampleTests
{
    private static readonly string Root = ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory);
    private static readonly string SamplePath = Path.Combine(Root, "local.settings.sample.json");

    // Not settings of the service: the listen address is a command-line/host concern, and the port is set by the Functions host.
    private static readonly string[] NotInTheSample = ["--urls", "ASPNETCORE_URLS", "FUNCTIONS_CUSTOMHANDLER_PORT"];

    // The Functions host's own settings, which the sample carries for Core Tools.
    private static readonly string[] HostOwned = ["FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsStorage", "Host:LocalHttpPort"];

    [Fact]
    public void Every_setting_the_readme_documents_is_in_the_sample_and_the_sample_has_no_others()
    {
        var documented = DocumentedKeys().Where(k => !NotInTheSample.Contains(k)).ToList();
        var sample = LocalSettingsConfiguration.Read(SamplePath).Keys.ToList();
        Assert.True(documented.Count > 60, $"the README's configuration tables were not found ({documented.Count} keys)");

        var missing = documented.Where(key => !sample.Any(s => Matches(key, s))).ToList();
        Assert.True(missing.Count == 0, "missing from local.settings.sample.json: " + string.Join(", ", missing));

        var undocumented = sample.Where(s => !HostOwned.Contains(s) && !documented.Any(key => Matches(key, s))).ToList();
        Assert.True(undocumented.Count == 0, "in local.settings.sample.json but not in the README: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void The_sample_keeps_the_functions_conventions()
    {
        var sample = JsonNode.Parse(File.ReadAllText(SamplePath))!;

        Assert.Equal("dotnet-isolated", (string?)sample["Values"]!["FUNCTIONS_WORKER_RUNTIME"]);
        // Empty: the service's own Azurite (UseDevelopmentStorage=true would need one already running on 10000-10002).
        Assert.Equal("", (string?)sample["Values"]!["AzureWebJobsStorage"]);
        Assert.False((bool)sample["IsEncrypted"]!);
        Assert.All(new[] { "Postgres", "Redis" }, name => Assert.NotNull(sample["ConnectionStrings"]![name]));
        Assert.Null(sample["ConnectionStrings"]!["Blob"]); // superseded by AzureWebJobsStorage: setting it stops the start
    }

    [Fact]
    public async Task The_sample_copied_to_local_settings_json_starts_the_service()
    {
        var workDir = Directory.CreateTempSubdirectory("sample-").FullName;
        var sample = JsonNode.Parse(await File.ReadAllTextAsync(SamplePath))!;
        // The one change a developer without PostgreSQL server programs would make; read from the file, not the environment.
        sample["ConnectionStrings"]!["Postgres"] = await TestPostgres.CreateDatabaseAsync("sample");
        await File.WriteAllTextAsync(Path.Combine(workDir, LocalSettingsConfiguration.FileName), sample.ToJsonString());

        // The sample's own AzureWebJobsStorage (empty): the embedded Azurite, as a developer gets it.
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?>
        {
            ["DEVMENTOR_DATA_DIR"] = Path.Combine(TestPostgres.ScratchRoot, "sample-" + Guid.NewGuid().ToString("N")[..8]),
            ["AzureWebJobsStorage"] = null,
        });
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        using var ready = await service.Client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("Database: PostgreSQL at 127.0.0.1", service.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("embedded PostgreSQL", service.Output, StringComparison.Ordinal);
        Assert.Contains("Storage (AzureWebJobsStorage): embedded Azurite", service.Output, StringComparison.Ordinal);
    }

    /// <summary>Keys in the first column of the README's `| key | default | meaning |` tables.</summary>
    private static IEnumerable<string> DocumentedKeys()
    {
        var inTable = false;
        foreach (var line in File.ReadLines(Path.Combine(Root, "README.md")))
        {
            if (line.StartsWith("| key | default | meaning |", StringComparison.Ordinal))
            {
                inTable = true;
                continue;
            }

            if (!line.StartsWith('|'))
            {
                inTable = false;
                continue;
            }

            if (!inTable || line.StartsWith("|---", StringComparison.Ordinal))
            {
                continue;
            }

            // `A:B:C` / `D` means A:B:D: later names in a cell are relative to the first one's section.
            string? previous = null;
            foreach (Match match in Backticked().Matches(line.Split('|')[1]))
            {
                var key = match.Groups[1].Value;
                if (!key.Contains(':', StringComparison.Ordinal) && previous is not null && !key.StartsWith("--", StringComparison.Ordinal) && key.Any(char.IsLower))
                {
                    key = previous[..(previous.LastIndexOf(':') + 1)] + key;
                }

                previous = key;
                yield return key;
            }
        }
    }

    /// <summary>Configuration keys are case-insensitive; `&lt;Name&gt;` in the README stands for any one segment.</summary>
    private static bool Matches(string documented, string sampleKey) =>
        Regex.IsMatch(sampleKey, "^" + Placeholder().Replace(Regex.Escape(documented), "[^:]+") + "$", RegexOptions.IgnoreCase);

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    // Regex.Escape leaves < and > alone, so a placeholder survives escaping as it was written.
    [GeneratedRegex("<[A-Za-z]+>")]
    private static partial Regex Placeholder();
}
