using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using DevMentor.Core.Data;
using DevMentor.Core.Integrations.Webhooks;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DevMentor.Functions.Tests.Webhooks;

/// <summary>One app with a GitHub and a GitLab project, shared by the malformed-payload cases.</summary>
public sealed class MalformedPayloadFixture : IAsyncLifetime
{
    public const string GitLabToken = "gitlab-malformed-token";

    public TestApp App { get; private set; } = null!;
    public CapturedLogs Logs { get; } = new();

    public async Task InitializeAsync()
    {
        App = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("webhook_malformed"), TestAuth.Settings(
                ("GitHub:WebhookSecret", GitHubFixtures.Secret),
                ("GitLab:WebhookToken", GitLabToken),
                ("Pipelines:Runner:Enabled", "false"),
                ("Pipelines:CloneRepositories", "false")));
        // After the start: the composition's Logs.Configure replaces providers added to the builder, which would leave
        // the "nothing logged as an error" checks below looking at an empty list. The sentinel proves the capture works.
        var loggers = App.Services.GetRequiredService<ILoggerFactory>();
        loggers.AddProvider(Logs);
        loggers.CreateLogger("Sentinel").LogError("capture-sentinel");
        Assert.Contains(Logs.Entries, e => e.Message == "capture-sentinel");
        foreach (var (name, repository) in new[]
        {
            ("hello-github", """{"provider":"github","fullName":"Codertocat/Hello-World","defaultBranch":"master"}"""),
            ("hello-gitlab", """{"provider":"gitlab","fullName":"mike/diaspora","defaultBranch":"main"}"""),
        })
        {
            using var response = await App.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice", $$"""{"name":"{{name}}","repository":{{repository}}}"""));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Signed deliveries whose payload is not what the sender's documentation promises (fields missing,
/// of the wrong type, or holding nonsense) are stored as <c>invalid</c> with the reason, start and
/// record nothing, and never surface as an unhandled exception in processing.
/// </summary>
public sealed class MalformedPayloadTests(MalformedPayloadFixture fixture) : IClassFixture<MalformedPayloadFixture>
{
    public static TheoryData<string, string, string, string> GitHubCases => new()
    {
        // event, fixture, mutation, what the reason must name
        { "push", "push.with-new-branch.payload.json", "remove repository", "repository" },
        { "push", "push.with-new-branch.payload.json", "remove repository.full_name", "full_name" },
        { "push", "push.with-new-branch.payload.json", "set repository.full_name 42", "full_name" },
        { "push", "push.with-new-branch.payload.json", "set repository.full_name \"no-slash-here\"", "full_name" },
        { "push", "push.with-new-branch.payload.json", "set repository \"Codertocat/Hello-World\"", "repository" },
        { "push", "push.with-new-branch.payload.json", "set commits \"none\"", "commits" },
        { "push", "push.with-new-branch.payload.json", "set after \"not-a-sha\"", "after" },
        { "push", "push.with-new-branch.payload.json", "set after null", "after" },
        { "push", "push.with-new-branch.payload.json", "set ref \"\"", "ref" },
        { "push", "push.with-new-branch.payload.json", "set deleted \"no\"", "deleted" },
        { "pull_request", "pull_request.opened.payload.json", "set number \"two\"", "number" },
        { "pull_request", "pull_request.opened.payload.json", "remove pull_request", "pull_request" },
        { "pull_request", "pull_request.opened.payload.json", "set pull_request.head.sha \"zzz\"", "head.sha" },
        { "pull_request", "pull_request.opened.payload.json", "remove repository", "repository" },
        { "issues", "issues.opened.payload.json", "remove issue", "issue" },
        { "issues", "issues.opened.payload.json", "remove repository", "repository" },
        { "issues", "issues.opened.payload.json", "set issue.number -3", "number" },
    };

    [Theory]
    [MemberData(nameof(GitHubCases))]
    public async Task A_signed_github_delivery_with_a_malformed_payload_is_stored_invalid_with_its_reason(string eventName, string fixtureFile, string mutation, string named)
    {
        var payload = Mutate(GitHubFixtures.Payload(fixtureFile), mutation);
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await fixture.App.Client.SendAsync(GitHubFixtures.Delivery(eventName, payload, deliveryId));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await AssertInvalidAsync("github", deliveryId, named);
    }

    [Theory]
    [InlineData("push", "null", "empty")]
    [InlineData("push", "[]", "object")]
    [InlineData("push", "{\"ref\":", "JSON")]
    [InlineData("push", "", "JSON")]
    [InlineData("issues", "{}", "issue")]
    public async Task A_signed_github_delivery_whose_body_is_not_an_event_object_is_stored_invalid(string eventName, string body, string named)
    {
        var deliveryId = Guid.NewGuid().ToString();

        using var response = await fixture.App.Client.SendAsync(GitHubFixtures.Delivery(eventName, Encoding.UTF8.GetBytes(body), deliveryId));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await AssertInvalidAsync("github", deliveryId, named);
    }

    public static TheoryData<string, string, string> GitLabCases => new()
    {
        { "Push Hook", "remove project", "project" },
        { "Push Hook", "remove project.path_with_namespace", "path_with_namespace" },
        { "Push Hook", "set project.path_with_namespace \"\"", "path_with_namespace" },
        { "Push Hook", "set after 123", "after" },
        { "Push Hook", "set before \"nope\"", "before" },
        { "Push Hook", "set commits 5", "commits" },
        { "Push Hook", "set ref null", "ref" },
        { "Merge Request Hook", "remove object_attributes.last_commit", "last_commit" },
        { "Merge Request Hook", "set object_attributes.iid \"seven\"", "iid" },
        { "Merge Request Hook", "set object_attributes.last_commit.id \"HEAD\"", "last_commit.id" },
        { "Merge Request Hook", "remove object_attributes", "object_attributes" },
    };

    [Theory]
    [MemberData(nameof(GitLabCases))]
    public async Task A_gitlab_hook_with_a_malformed_payload_is_stored_invalid_with_its_reason(string eventName, string mutation, string named)
    {
        var source = eventName == "Push Hook" ? GitLabWebhookIntakeTests.PushPayload : MergeRequestPayload;
        var payload = Mutate(Encoding.UTF8.GetBytes(source), mutation);
        var uuid = Guid.NewGuid().ToString();

        using var response = await fixture.App.Client.SendAsync(GitLabWebhookIntakeTests.Delivery(eventName, Encoding.UTF8.GetString(payload), MalformedPayloadFixture.GitLabToken, uuid));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await AssertInvalidAsync("gitlab", uuid, named);
    }

    [Fact]
    public async Task The_unmodified_payloads_are_processed_so_the_cases_above_fail_only_for_their_change()
    {
        var github = Guid.NewGuid().ToString();
        var gitlab = Guid.NewGuid().ToString();

        using var first = await fixture.App.Client.SendAsync(GitHubFixtures.Delivery("issues", GitHubFixtures.Payload("issues.opened.payload.json"), github));
        using var second = await fixture.App.Client.SendAsync(GitLabWebhookIntakeTests.Delivery("Merge Request Hook", MergeRequestPayload.Replace("\"open\"", "\"close\"", StringComparison.Ordinal), MalformedPayloadFixture.GitLabToken, gitlab));

        Assert.Equal(("processed", "ignored"), ((await WaitDoneAsync("github", github)).Status, (await WaitDoneAsync("gitlab", gitlab)).Status));
    }

    private const string MergeRequestPayload = """
        {"object_kind":"merge_request","project":{"path_with_namespace":"mike/diaspora"},
         "object_attributes":{"iid":7,"action":"open","source_branch":"ms-viewport","last_commit":{"id":"b83d6e391c22777fca1ed3012fce84f633d7fed0"}}}
        """;

    private async Task AssertInvalidAsync(string provider, string deliveryId, string named)
    {
        var (status, outcome) = await WaitDoneAsync(provider, deliveryId);

        Assert.True(status == "invalid", $"expected invalid, got {status}: {outcome}");
        Assert.Contains(named, outcome, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", outcome, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Logs.Entries, e => e.Level >= LogLevel.Error && e.Message.Contains(deliveryId, StringComparison.Ordinal));
        await using var effects = Db().CreateCommand("""
            SELECT (SELECT count(*) FROM repository_pushes p JOIN webhook_deliveries d ON d.id = p.delivery_id WHERE d.delivery_id = $1)
                 + (SELECT count(*) FROM pipeline_runs)
            """);
        effects.Parameters.AddWithValue(deliveryId);
        Assert.Equal(0L, await effects.ExecuteScalarAsync());
    }

    private async Task<(string Status, string Outcome)> WaitDoneAsync(string provider, string deliveryId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var read = Db().CreateCommand("SELECT status, coalesce(outcome, '') FROM webhook_deliveries WHERE provider = $1 AND delivery_id = $2");
            read.Parameters.AddWithValue(provider);
            read.Parameters.AddWithValue(deliveryId);
            await using var reader = await read.ExecuteReaderAsync();
            if (await reader.ReadAsync() && reader.GetString(0) is not ("received" or "processing"))
            {
                return (reader.GetString(0), reader.GetString(1));
            }

            Assert.True(DateTime.UtcNow < deadline, $"delivery {deliveryId} was not processed in time");
            await Task.Delay(50);
        }
    }

    /// <summary>"remove a.b" or "set a.b JSON" on the payload's object tree.</summary>
    private static byte[] Mutate(byte[] payload, string mutation)
    {
        var root = JsonNode.Parse(payload)!.AsObject();
        var parts = mutation.Split(' ', 3);
        var path = parts[1].Split('.');
        var parent = path[..^1].Aggregate(root, (node, key) => node[key]!.AsObject());
        if (parts[0] == "remove")
        {
            Assert.True(parent.Remove(path[^1]), $"the payload has no {parts[1]}");
        }
        else
        {
            Assert.True(parent.ContainsKey(path[^1]) || path.Length == 1, $"the payload has no {parts[1]}");
            parent[path[^1]] = JsonNode.Parse(parts[2]);
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private Npgsql.NpgsqlDataSource Db() => fixture.App.Services.GetRequiredService<Database>().DataSource;
}
