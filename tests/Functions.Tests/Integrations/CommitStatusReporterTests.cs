using System.Collections.Concurrent;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.GitLab;
using DevMentor.Core.Integrations.Statuses;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Integrations;

/// <summary>The reporter's rules against a real database and a real (fake) host API; run states come from a stub of the pipeline's port.</summary>
public sealed class CommitStatusReporterTests
{
    private sealed class RunStates : IRunStateSource
    {
        public ConcurrentDictionary<Guid, RunState> States { get; } = new();

        public Task<IReadOnlyList<RunState>> GetAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RunState>>(runIds.Where(States.ContainsKey).Select(id => States[id]).ToList());
    }

    private sealed record Fixture(CommitStatusStore Store, CommitStatusReporter Reporter, RunStates Runs, FakeRepositoryHost Host, Database Database) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Host.DisposeAsync();
            await Database.DisposeAsync();
        }
    }

    private static async Task<Fixture> CreateAsync(string purpose)
    {
        var database = new Database();
        database.Open(await TestPostgres.CreateDatabaseAsync(purpose), purpose);
        await new MigrationRunner(database, NullLogger<MigrationRunner>.Instance).ApplyAsync(CancellationToken.None);
        var host = await FakeRepositoryHost.StartAsync();
        var services = new ServiceCollection();
        services.AddHttpClient();
        var httpClients = services.BuildServiceProvider().GetRequiredService<IHttpClientFactory>();
        var store = new CommitStatusStore(database);
        var runs = new RunStates();
        ICommitStatusClient[] clients =
        [
            GitHubClient(new GitHubOptions { ApiBaseUrl = host.BaseAddress, Token = "gh-token" }),
            new GitLabStatusClient(httpClients, new GitLabOptions { ApiBaseUrl = new Uri(host.BaseAddress, "api/v4/"), Token = "gl-token" }),
        ];
        var reporter = new CommitStatusReporter(store, runs, clients, new RunLinks(new Uri("https://devmentor.example/")), NullLogger<CommitStatusReporter>.Instance);
        return new Fixture(store, reporter, runs, host, database);
    }

    private static GitHubStatusClient GitHubClient(GitHubOptions options) =>
        new(new GitHubApi(options, new GitHubAppTokens(options, TimeProvider.System)));

    [Fact]
    public async Task As_a_github_app_it_exchanges_a_signed_app_jwt_for_an_installation_token_once()
    {
        await using var host = await FakeRepositoryHost.StartAsync();
        host.Responses["/api/v3/app/installations/42/access_tokens"] = (201, $$"""{"token":"ghs_installation","expires_at":"{{DateTimeOffset.UtcNow.AddHours(1):O}}"}""");
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var client = GitHubClient(new GitHubOptions { ApiBaseUrl = host.BaseAddress, App = new GitHubAppCredentials("12345", rsa.ExportRSAPrivateKeyPem(), 42) });
        var status = new CommitStatus("o/r", "sha", CommitState.Pending, "Build queued", new Uri("https://devmentor.example/run"));

        await client.PostAsync(status, CancellationToken.None);
        await client.PostAsync(status with { State = CommitState.Success }, CancellationToken.None);

        var calls = host.Calls.ToList();
        Assert.Equal(["/api/v3/app/installations/42/access_tokens", "/api/v3/repos/o/r/statuses/sha", "/api/v3/repos/o/r/statuses/sha"], calls.Select(c => c.PathAndQuery));
        Assert.All(calls.Skip(1), c => Assert.Equal("Bearer ghs_installation", c.Headers["Authorization"]));

        var jwt = calls[0].Headers["Authorization"]["Bearer ".Length..].Split('.');
        Assert.True(rsa.VerifyData(System.Text.Encoding.ASCII.GetBytes(jwt[0] + "." + jwt[1]), Base64UrlDecode(jwt[2]),
            System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1), "the app JWT must be signed with the app's key");
        using var claims = JsonDocument.Parse(Base64UrlDecode(jwt[1]));
        Assert.Equal("12345", claims.RootElement.GetProperty("iss").GetString());
        Assert.Equal(600, claims.RootElement.GetProperty("exp").GetInt64() - claims.RootElement.GetProperty("iat").GetInt64());
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }

    [Fact]
    public async Task Github_gets_pending_then_the_final_state_with_the_runs_url()
    {
        await using var f = await CreateAsync("status_github");
        var (runId, projectId) = (Guid.NewGuid(), Guid.NewGuid());
        f.Runs.States[runId] = new RunState(runId, projectId, "running");
        await f.Store.TrackAsync(runId, projectId, "github", "Codertocat/Hello-World", "abc123", CancellationToken.None);

        Assert.Equal(1, await f.Reporter.ReportDueAsync(CancellationToken.None));
        Assert.Equal(0, await f.Reporter.ReportDueAsync(CancellationToken.None)); // nothing new while it runs
        f.Runs.States[runId] = new RunState(runId, projectId, "succeeded");
        Assert.Equal(1, await f.Reporter.ReportDueAsync(CancellationToken.None));
        Assert.Equal(0, await f.Reporter.ReportDueAsync(CancellationToken.None)); // final: done

        var calls = f.Host.Calls.ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal("/api/v3/repos/Codertocat/Hello-World/statuses/abc123", c.PathAndQuery));
        Assert.All(calls, c => Assert.Equal("Bearer gh-token", c.Headers["Authorization"]));
        var bodies = calls.Select(c => JsonDocument.Parse(c.Body).RootElement).ToList();
        Assert.Equal(["pending", "success"], bodies.Select(b => b.GetProperty("state").GetString()));
        Assert.All(bodies, b => Assert.Equal("devmentor/build", b.GetProperty("context").GetString()));
        Assert.All(bodies, b => Assert.Equal($"https://devmentor.example/projects/{projectId}/builds/{runId}", b.GetProperty("target_url").GetString()));
    }

    [Theory]
    [InlineData("failed", "failure")]
    [InlineData("canceled", "error")]
    [InlineData("timed_out", "error")]
    public async Task A_run_that_ended_before_the_first_report_still_gets_pending_then_its_final_state(string runStatus, string githubState)
    {
        await using var f = await CreateAsync("status_final_" + runStatus);
        var (runId, projectId) = (Guid.NewGuid(), Guid.NewGuid());
        f.Runs.States[runId] = new RunState(runId, projectId, runStatus);
        await f.Store.TrackAsync(runId, projectId, "github", "o/r", "sha1", CancellationToken.None);

        await f.Reporter.ReportDueAsync(CancellationToken.None);
        await f.Reporter.ReportDueAsync(CancellationToken.None);

        Assert.Equal(["pending", githubState], f.Host.Calls.Select(c => JsonDocument.Parse(c.Body).RootElement.GetProperty("state").GetString()));
    }

    [Fact]
    public async Task A_failing_host_is_retried_later_and_the_status_still_arrives()
    {
        await using var f = await CreateAsync("status_retry");
        var (runId, projectId) = (Guid.NewGuid(), Guid.NewGuid());
        f.Runs.States[runId] = new RunState(runId, projectId, "queued");
        await f.Store.TrackAsync(runId, projectId, "github", "o/r", "sha2", CancellationToken.None);
        f.Host.FailNext(1);

        Assert.Equal(0, await f.Reporter.ReportDueAsync(CancellationToken.None));
        Assert.Equal(0, await f.Reporter.ReportDueAsync(CancellationToken.None)); // backing off: not due yet

        await using (var due = f.Database.DataSource.CreateCommand("UPDATE commit_status_reports SET next_attempt_at = now() RETURNING attempts, last_error"))
        await using (var reader = await due.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal(1, reader.GetInt32(0));
            Assert.Contains("503", reader.GetString(1), StringComparison.Ordinal);
        }

        Assert.Equal(1, await f.Reporter.ReportDueAsync(CancellationToken.None));
        Assert.Equal(2, f.Host.Calls.Count);
    }

    [Fact]
    public void Backoff_doubles_from_five_seconds_up_to_five_minutes_with_jitter()
    {
        Assert.InRange(CommitStatusReporter.Backoff(0).TotalSeconds, 4, 6);
        Assert.InRange(CommitStatusReporter.Backoff(1).TotalSeconds, 8, 12);
        Assert.InRange(CommitStatusReporter.Backoff(3).TotalSeconds, 32, 48);
        Assert.InRange(CommitStatusReporter.Backoff(20).TotalSeconds, 240, 360);
    }

    [Fact]
    public async Task Gitlab_gets_its_status_api_with_the_private_token()
    {
        await using var f = await CreateAsync("status_gitlab");
        var (runId, projectId) = (Guid.NewGuid(), Guid.NewGuid());
        f.Runs.States[runId] = new RunState(runId, projectId, "canceled");
        await f.Store.TrackAsync(runId, projectId, "gitlab", "mike/diaspora", "da15608", CancellationToken.None);

        await f.Reporter.ReportDueAsync(CancellationToken.None);
        await f.Reporter.ReportDueAsync(CancellationToken.None);

        var calls = f.Host.Calls.ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.StartsWith("/api/v4/projects/mike%2Fdiaspora/statuses/da15608?state=", c.PathAndQuery, StringComparison.Ordinal));
        Assert.Contains("state=pending", calls[0].PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("state=canceled", calls[1].PathAndQuery, StringComparison.Ordinal);
        Assert.Contains("name=devmentor%2Fbuild", calls[1].PathAndQuery, StringComparison.Ordinal);
        Assert.All(calls, c => Assert.Equal("gl-token", c.Headers["PRIVATE-TOKEN"]));
    }
}
