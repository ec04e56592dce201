using System.Net;
using System.Text.RegularExpressions;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Security;

public sealed partial class BootstrapApiKeyTests
{
    [Fact]
    public async Task The_first_start_prints_the_admin_key_once_and_writes_it_mode_0600()
    {
        var database = await TestPostgres.CreateDatabaseAsync("bootstrapkey");
        var dataDirectory = Path.Combine(TestPostgres.ScratchRoot, "bootstrap-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDirectory);
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = database,
            ["DEVMENTOR_DATA_DIR"] = dataDirectory,
            ["Scheduler__Enabled"] = "false",
        };

        string key;
        await using (var first = ServiceProcess.Start(dataDirectory, environment))
        {
            await first.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
            var printed = PrintedKey().Matches(first.Output);
            Assert.Single(printed);
            key = printed[0].Groups[1].Value;

            var file = Path.Combine(dataDirectory, "admin.key");
            Assert.Equal(key, (await File.ReadAllTextAsync(file)).Trim());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

            using var request = new HttpRequestMessage(HttpMethod.Get, "/apikeys");
            request.Headers.Add("X-Api-Key", key);
            using var response = await first.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            // The secret is printed once, and never in a log line.
            Assert.Single(first.Output.Split('\n'), line => line.Contains(key, StringComparison.Ordinal));
        }

        await using var second = ServiceProcess.Start(dataDirectory, environment);
        await second.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("bootstrap admin API key", second.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(key, second.Output, StringComparison.Ordinal);
        Assert.Equal(key, (await File.ReadAllTextAsync(Path.Combine(dataDirectory, "admin.key"))).Trim());
    }

    [GeneratedRegex(@"bootstrap admin API key \(shown once[^)]*\): (dmk_\S+)")]
    private static partial Regex PrintedKey();
}
