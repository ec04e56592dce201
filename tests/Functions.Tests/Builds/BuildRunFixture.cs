using System.Net;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Pipelines;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>
/// One service with the embedded runner for the build-run tests, plus the sample repositories:
/// projects point at the samples by file:// URL and build through the real API.
/// </summary>
public sealed class BuildRunFixture : IAsyncLifetime
{
    public const string Owner = "build-owner";
    public const string ConfiguredSecret = "s3cr3t-Build-Value-42";

    public SampleRepositories Samples { get; } = new();

    public TestApp App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = TestAuth.Settings(
            ("Pipelines:Runner:Enabled", "true"),
            ("Pipelines:Runner:Workers", "2"),
            ("Pipelines:Runner:WorkDirectory", PipelineTestKit.NewScratchDirectory("buildrun-work")),
            ("Pipelines:HeartbeatSeconds", "0.3"),
            ("Pipelines:PollIntervalSeconds", "0.1"),
            ("Pipelines:Retry:FirstDelaySeconds", "0.2"),
            ("Pipelines:MaxRunningRunsPerProject", "10"),
            ("Pipelines:Secrets:DEPLOY_TOKEN", ConfiguredSecret));
        App = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("buildrun"), settings);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        Samples.Dispose();
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string url, string? json = null, Action<HttpRequestMessage>? configure = null)
    {
        var request = TestAuth.Request(method, url, Owner, json);
        configure?.Invoke(request);
        return await App.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public async Task<string> CreateProjectAsync(SampleRepository repository)
    {
        using var response = await SendAsync(HttpMethod.Post, "/projects", JsonSerializer.Serialize(new
        {
            name = repository.Name + "-" + Guid.NewGuid().ToString("N")[..8],
            visibility = "private",
            repository = new { provider = "git", cloneUrl = repository.FileUrl, defaultBranch = repository.Branch },
        }));
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("id").GetString()!;
    }

    /// <returns>The status URI of the started build.</returns>
    public async Task<string> StartBuildAsync(string projectId, string? json = null)
    {
        using var response = await SendAsync(HttpMethod.Post, $"/projects/{projectId}/build", json);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("statusUri").GetString()!;
    }

    public async Task<JsonElement> WaitForEndAsync(string statusUri, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using var response = await SendAsync(HttpMethod.Get, statusUri);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var run = await JsonAsync(response);
            if (run.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled" or "timed_out")
            {
                return run;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The build did not end within {timeout}: {run}");
            }

            await Task.Delay(200);
        }
    }

    public async Task<string> TextAsync(string url)
    {
        using var response = await SendAsync(HttpMethod.Get, url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    public static string[] StepNames(JsonElement run) => run.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("name").GetString()!).ToArray();

    public static JsonElement Step(JsonElement run, string name) => run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("name").GetString() == name);
}
