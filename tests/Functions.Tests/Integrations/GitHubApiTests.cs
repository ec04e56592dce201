using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.Statuses;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Integrations;

/// <summary>The Octokit client every GitHub call goes through, against the local fake of GitHub's API.</summary>
public sealed class GitHubApiTests
{
    private const string Token = "ghp_NeverInALogLine0123456789abcdef";

    private static GitHubApi Api(GitHubOptions options, TimeProvider? clock = null) => new(options, new GitHubAppTokens(options, clock ?? TimeProvider.System));

    private static CommitStatus Status(string repository = "o/r", CommitState state = CommitState.Pending) =>
        new(repository, "0123456789abcdef0123456789abcdef01234567", state, "Build queued", new Uri("https://devmentor.example/projects/p/builds/r"));

    [Theory]
    [InlineData("https://api.github.com/", "https://api.github.com/")]
    [InlineData("https://github.com/", "https://api.github.com/")]
    [InlineData("https://ghe.example.com/", "https://ghe.example.com/api/v3/")]
    [InlineData("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/")]
    [InlineData("http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v3/")]
    public void A_base_url_other_than_githubs_is_an_enterprise_server_reached_under_api_v3(string configured, string root)
    {
        Assert.Equal(new Uri(root), Api(new GitHubOptions { ApiBaseUrl = new Uri(configured) }).ApiRoot);
    }

    [Theory]
    [InlineData("")]         // the server's address
    [InlineData("api/v3/")]  // or its API root: the same calls
    public async Task A_status_reaches_the_enterprise_api_root_with_the_token_and_the_services_user_agent(string basePath)
    {
        await using var host = await FakeRepositoryHost.StartAsync();
        var client = new GitHubStatusClient(Api(new GitHubOptions { ApiBaseUrl = new Uri(host.BaseAddress, basePath), Token = Token }));

        await client.PostAsync(Status("octo/widgets", CommitState.Failure), CancellationToken.None);

        var call = Assert.Single(host.Calls);
        Assert.Equal(("POST", "/api/v3/repos/octo/widgets/statuses/0123456789abcdef0123456789abcdef01234567"), (call.Method, call.PathAndQuery));
        Assert.Equal($"Bearer {Token}", call.Headers["Authorization"]);
        Assert.StartsWith("DevMentor-Project-Service/1.0", call.Headers["User-Agent"], StringComparison.Ordinal);
        var body = JsonDocument.Parse(call.Body).RootElement;
        Assert.Equal(("failure", "devmentor/build", "Build queued", "https://devmentor.example/projects/p/builds/r"),
            (body.GetProperty("state").GetString(), body.GetProperty("context").GetString(), body.GetProperty("description").GetString(), body.GetProperty("target_url").GetString()));
    }

    [Fact]
    public async Task Refused_credentials_are_named_with_githubs_reason_and_the_token_is_in_no_error_or_log_line()
    {
        await using var host = await FakeRepositoryHost.StartAsync();
        host.Responses["/api/v3/repos/"] = (401, """{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}""");
        await using var database = new Database();
        database.Open(await TestPostgres.CreateDatabaseAsync("github_refused"), "github_refused");
        await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        var logs = new CapturedLogs();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var store = new CommitStatusStore(database);
        var runs = new FixedRunStates();
        var reporter = new CommitStatusReporter(store, runs, [new GitHubStatusClient(Api(new GitHubOptions { ApiBaseUrl = host.BaseAddress, Token = Token }))],
            new RunLinks(new Uri("https://devmentor.example/")), loggers.CreateLogger<CommitStatusReporter>());
        var (runId, projectId) = (Guid.NewGuid(), Guid.NewGuid());
        runs.States[runId] = new RunState(runId, projectId, "running");
        await store.TrackAsync(runId, projectId, "github", "o/r", "abc", CancellationToken.None);

        Assert.Equal(0, await reporter.ReportDueAsync(CancellationToken.None));

        await using var read = database.DataSource.CreateCommand("SELECT last_error FROM commit_status_reports");
        var error = (string)(await read.ExecuteScalarAsync())!;
        Assert.Contains("401", error, StringComparison.Ordinal);
        Assert.Contains("credentials were rejected", error, StringComparison.Ordinal);
        Assert.Contains("Bad credentials", error, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, error, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.Message.Contains("401", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(Token, StringComparison.Ordinal) || (e.Exception?.ToString().Contains(Token, StringComparison.Ordinal) ?? false));
    }

    [Fact]
    public async Task An_unreachable_github_fails_as_not_reached_so_the_reporter_retries_it()
    {
        var closed = new Uri($"http://127.0.0.1:{ChildServer.FreePort()}/");
        var client = new GitHubStatusClient(Api(new GitHubOptions { ApiBaseUrl = closed, Token = Token }));

        var failure = await Assert.ThrowsAsync<CommitStatusException>(() => client.PostAsync(Status(), CancellationToken.None));

        Assert.Contains("could not be reached", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_github_app_renews_its_installation_token_a_minute_before_it_expires()
    {
        await using var host = await FakeRepositoryHost.StartAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        host.Responses["/api/v3/app/installations/7/access_tokens"] = (201, $$"""{"token":"ghs_first","expires_at":"{{clock.GetUtcNow().AddMinutes(3):O}}"}""");
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var client = new GitHubStatusClient(Api(new GitHubOptions { ApiBaseUrl = host.BaseAddress, App = new GitHubAppCredentials("99", rsa.ExportRSAPrivateKeyPem(), 7) }, clock));

        await client.PostAsync(Status(), CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(1));
        await client.PostAsync(Status(), CancellationToken.None); // two minutes left: still good
        host.Responses["/api/v3/app/installations/7/access_tokens"] = (201, $$"""{"token":"ghs_second","expires_at":"{{clock.GetUtcNow().AddHours(1):O}}"}""");
        clock.Advance(TimeSpan.FromSeconds(61));
        await client.PostAsync(Status(), CancellationToken.None); // under a minute left: renewed first

        var calls = host.Calls.ToList();
        Assert.Equal(5, calls.Count);
        Assert.Equal([true, false, false, true, false], calls.Select(c => c.PathAndQuery.EndsWith("/access_tokens", StringComparison.Ordinal)));
        Assert.Equal(["Bearer ghs_first", "Bearer ghs_first", "Bearer ghs_second"], calls.Where(c => c.PathAndQuery.Contains("/statuses/", StringComparison.Ordinal)).Select(c => c.Headers["Authorization"]));
    }

    [Fact]
    public async Task A_refused_installation_token_exchange_fails_the_call_naming_the_installation()
    {
        await using var host = await FakeRepositoryHost.StartAsync();
        host.Responses["/api/v3/app/installations/"] = (404, """{"message":"Not Found"}""");
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var client = new GitHubStatusClient(Api(new GitHubOptions { ApiBaseUrl = host.BaseAddress, App = new GitHubAppCredentials("99", rsa.ExportRSAPrivateKeyPem(), 7) }));

        var failure = await Assert.ThrowsAsync<CommitStatusException>(() => client.PostAsync(Status(), CancellationToken.None));

        Assert.Contains("404", failure.Message, StringComparison.Ordinal);
        Assert.Contains("installation 7", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Calls, c => c.PathAndQuery.Contains("/statuses/", StringComparison.Ordinal));
    }

    private sealed class FixedRunStates : IRunStateSource
    {
        public System.Collections.Concurrent.ConcurrentDictionary<Guid, RunState> States { get; } = new();

        public Task<IReadOnlyList<RunState>> GetAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RunState>>(runIds.Where(States.ContainsKey).Select(id => States[id]).ToList());
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
