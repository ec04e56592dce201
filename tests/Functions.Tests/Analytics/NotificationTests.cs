using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Notifications;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>Notifications to a local HTTP receiver and a local SMTP sink: signatures, Slack text, email, retries, disabling, restarts.</summary>
public sealed class NotificationTests
{
    // The receivers listen on loopback: these tests allow private targets (NotificationSecurityTests show the filter).
    internal static Dictionary<string, string?> Settings(SmtpSink? smtp = null, bool worker = true, int disableAfter = 10, bool allowPrivate = true) => TestAuth.Settings(
        ("Notifications:AllowPrivateTargets", allowPrivate ? "true" : "false"),
        ("Notifications:PollMilliseconds", "50"),
        ("Notifications:FirstRetryMilliseconds", "100"),
        ("Notifications:DisableAfterFailures", disableAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Notifications:Worker:Enabled", worker ? "true" : "false"),
        ("Notifications:Smtp:Host", smtp is null ? null : "127.0.0.1"),
        ("Notifications:Smtp:Port", smtp?.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ("Notifications:Smtp:UseTls", "false"),
        ("Notifications:Smtp:From", "ci@devmentor.test"));

    internal static async Task<Guid> ProjectAsync(TestApp app)
    {
        using var created = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice", """{"name":"Notified"}"""));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    internal static async Task<JsonElement> AddTargetAsync(TestApp app, Guid project, string json, string user = "alice")
    {
        using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/notifications", user, json));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    internal static Task FinishRunAsync(Database db, Guid project, int number, string status, string branch = "main") => ExecAsync(db, """
        INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, commit_sha, definition, created_at, started_at, finished_at)
        VALUES (gen_random_uuid(), @p1, @p2, @p3, 'push', @p4, 'abc', '{}', now(), now(), clock_timestamp())
        """, project, number, status, branch);

    internal static Dictionary<string, string?> With(Dictionary<string, string?> settings, params (string Key, string? Value)[] more)
    {
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task A_failed_then_fixed_build_reaches_a_signed_webhook_slack_and_email()
    {
        await using var hooks = await HookReceiver.StartAsync();
        await using var smtp = new SmtpSink();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-all"), Settings(smtp));
        var project = await ProjectAsync(app);
        var webhook = await AddTargetAsync(app, project, $$"""{"kind":"webhook","target":"{{hooks.Url}}/hook","events":["run.failed","run.fixed"]}""");
        var secret = webhook.GetProperty("secret").GetString()!;
        Assert.Equal(64, secret.Length);
        await AddTargetAsync(app, project, $$"""{"kind":"slack","target":"{{hooks.Url}}/slack","events":["run.failed"]}""");
        await AddTargetAsync(app, project, """{"kind":"email","target":"dev@example.test","events":["run.fixed"]}""");

        // The list never shows a secret again.
        using (var list = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/notifications", "alice")))
        {
            var text = await list.Content.ReadAsStringAsync();
            Assert.Equal(3, JsonDocument.Parse(text).RootElement.GetProperty("items").GetArrayLength());
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        var db = app.Services.GetRequiredService<Database>();
        await FinishRunAsync(db, project, 1, "failed");
        var first = new[] { await hooks.NextAsync(), await hooks.NextAsync() };
        var signed = first.Single(h => h.Path == "/hook");
        Assert.Equal(NotificationSender.Sign(secret, signed.Body), signed.Headers["X-Hub-Signature-256"]);
        Assert.Equal("run.failed", signed.Headers["X-DevMentor-Event"]);
        var payload = JsonDocument.Parse(signed.Body).RootElement;
        Assert.Equal(("run.failed", 1, "main"), (payload.GetProperty("event").GetString(), payload.GetProperty("run").GetProperty("number").GetInt32(), payload.GetProperty("run").GetProperty("branch").GetString()));
        var slack = JsonDocument.Parse(first.Single(h => h.Path == "/slack").Body).RootElement;
        Assert.Equal("[Notified] Build #1 on main failed", slack.GetProperty("text").GetString());

        await FinishRunAsync(db, project, 2, "succeeded");
        var fixedHook = await hooks.NextAsync();
        Assert.Equal("run.fixed", fixedHook.Headers["X-DevMentor-Event"]);
        var mail = await smtp.NextAsync();
        Assert.Equal(["<dev@example.test>"], mail.To);
        Assert.Contains("Subject: [Notified] Build #2 on main is fixed", mail.Data, StringComparison.Ordinal);

        // Each event once per target, however many passes run.
        await app.Services.GetRequiredService<NotificationWorker>().PassAsync(CancellationToken.None);
        for (var i = 0; i < 100 && await ScalarAsync<long>(db, "SELECT count(*) FROM notification_outbox WHERE status = 'delivered'") < 4; i++)
        {
            await Task.Delay(50); // the last send may still be recording its attempt
        }

        Assert.Equal(4L, await ScalarAsync<long>(db, "SELECT count(*) FROM notification_outbox"));
        Assert.Equal(4L, await ScalarAsync<long>(db, "SELECT count(*) FROM notification_outbox WHERE status = 'delivered'"));
        Assert.False(hooks.Received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Failed_attempts_are_retried_with_backoff_and_visible()
    {
        await using var hooks = await HookReceiver.StartAsync();
        hooks.Answer = n => n <= 2 ? 503 : 200;
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-retry"), Settings());
        var project = await ProjectAsync(app);
        var target = await AddTargetAsync(app, project, $$"""{"kind":"webhook","target":"{{hooks.Url}}/hook","events":["run.failed"],"secret":"0123456789abcdef0123"}""");
        await FinishRunAsync(app.Services.GetRequiredService<Database>(), project, 1, "timed_out");

        var attempts = new[] { await hooks.NextAsync(), await hooks.NextAsync(), await hooks.NextAsync() };
        Assert.Single(attempts.Select(a => a.Headers["X-DevMentor-Delivery"]).Distinct());
        // Lower bounds only: a retry never comes before its delay (100 ms, then doubled), while a busy machine may
        // stretch either gap, so comparing the two gaps with each other would be a race.
        var (first, second) = (attempts[1].At - attempts[0].At, attempts[2].At - attempts[1].At);
        Assert.True(first >= TimeSpan.FromMilliseconds(90), $"the first retry came {first.TotalMilliseconds} ms after the failure, before its 100 ms delay");
        Assert.True(second >= TimeSpan.FromMilliseconds(190), $"the second retry came {second.TotalMilliseconds} ms after, before its doubled 200 ms delay");

        var id = target.GetProperty("id").GetGuid();
        JsonElement delivery = default;
        for (var i = 0; i < 100; i++)
        {
            using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/notifications/{id}/deliveries", "alice"));
            delivery = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0].Clone();
            if (delivery.GetProperty("status").GetString() == "delivered")
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.Equal(("delivered", 3), (delivery.GetProperty("status").GetString(), delivery.GetProperty("attempts").GetInt32()));
        Assert.Equal([503, 503, 200], delivery.GetProperty("attemptLog").EnumerateArray().Select(a => a.GetProperty("statusCode").GetInt32()));
    }

    [Fact]
    public async Task A_target_that_keeps_failing_is_disabled()
    {
        await using var hooks = await HookReceiver.StartAsync();
        hooks.Answer = _ => 500;
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-disable"), Settings(disableAfter: 3));
        var project = await ProjectAsync(app);
        var target = await AddTargetAsync(app, project, $$"""{"kind":"slack","target":"{{hooks.Url}}/slack","events":["run.failed"]}""");
        await FinishRunAsync(app.Services.GetRequiredService<Database>(), project, 1, "failed");
        for (var i = 0; i < 3; i++)
        {
            await hooks.NextAsync();
        }

        JsonElement listed = default;
        for (var i = 0; i < 100; i++)
        {
            using var list = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/notifications", "alice"));
            listed = JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0].Clone();
            if (!listed.GetProperty("enabled").GetBoolean())
            {
                break;
            }

            await Task.Delay(50);
        }

        Assert.False(listed.GetProperty("enabled").GetBoolean());
        Assert.StartsWith("3 deliveries failed in a row; the last: HTTP 500", listed.GetProperty("disabledReason").GetString(), StringComparison.Ordinal);
        await Task.Delay(1000);
        Assert.False(hooks.Received.Reader.TryRead(out _)); // nothing more is sent to it

        // A maintainer turns it back on; the pending delivery goes out.
        hooks.Answer = _ => 200;
        using var enable = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/notifications/{target.GetProperty("id").GetGuid()}/enable", "alice"));
        Assert.Equal(HttpStatusCode.NoContent, enable.StatusCode);
        await hooks.NextAsync();
    }

    [Fact]
    public async Task Deliveries_survive_a_restart_including_one_cut_off_mid_send()
    {
        await using var hooks = await HookReceiver.StartAsync();
        var connection = await TestPostgres.CreateDatabaseAsync("notify-restart");
        // The restarted service keeps its blob store, where the key ring that decrypts the target is.
        (string Key, string? Value)[] storage = [("AzureWebJobsStorage", (await TestAzurite.SharedAsync()).ConnectionString), ("Blob:Container", TestAzurite.NewContainer("notify"))];
        Guid project;
        await using (var stopped = await TestApp.StartAsync(connection, With(Settings(worker: false), storage)))
        {
            project = await ProjectAsync(stopped);
            await AddTargetAsync(stopped, project, $$"""{"kind":"webhook","target":"{{hooks.Url}}/hook","events":["run.failed","deployment.failed"]}""");
            var db = stopped.Services.GetRequiredService<Database>();
            await FinishRunAsync(db, project, 1, "failed");
            await FinishRunAsync(db, project, 2, "failed", "other");
            var store = stopped.Services.GetRequiredService<NotificationStore>();
            Assert.Equal(2, await store.DetectAsync(TimeSpan.FromMinutes(10), CancellationToken.None));
            // One is claimed and the process "dies" before sending it: its lease must run out first.
            Assert.Single(await store.ClaimDueAsync(1, TimeSpan.FromSeconds(1), CancellationToken.None));
        }

        await using var restarted = await TestApp.StartAsync(connection, With(Settings(), storage));
        var received = new[] { await hooks.NextAsync(), await hooks.NextAsync() };
        Assert.Equal(2, received.Select(r => r.Headers["X-DevMentor-Delivery"]).Distinct().Count());
        Assert.Equal(["main", "other"], received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("run").GetProperty("branch").GetString()).Order());
    }

    [Fact]
    public async Task Targets_are_validated_and_managed_by_maintainers_only()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-input"), Settings());
        var project = await ProjectAsync(app);
        foreach (var body in new[]
        {
            """{"kind":"pager","target":"https://x.test","events":["run.failed"]}""",
            """{"kind":"webhook","target":"file:///etc/passwd","events":["run.failed"]}""",
            """{"kind":"webhook","target":"https://user:pw@x.test/","events":["run.failed"]}""",
            """{"kind":"email","target":"not an address","events":["run.failed"]}""",
            """{"kind":"webhook","target":"https://x.test","events":[]}""",
            """{"kind":"webhook","target":"https://x.test","events":["run.exploded"]}""",
            """{"kind":"slack","target":"https://x.test","events":["run.failed"],"secret":"0123456789abcdef0"}""",
            """{"kind":"webhook","target":"https://x.test","events":["run.failed"],"extra":1}""",
            """{"kind":5,"target":"https://x.test","events":["run.failed"]}""",
        })
        {
            using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/notifications", "alice", body));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, body + " → " + response.StatusCode);
        }

        using var stranger = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/notifications", "mallory"));
        Assert.Equal(HttpStatusCode.NotFound, stranger.StatusCode);
        using var missing = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Delete, $"/projects/{project}/notifications/{Guid.NewGuid()}", "alice"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
