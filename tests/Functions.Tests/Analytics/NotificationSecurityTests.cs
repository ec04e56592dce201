using System.Net;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Notifications;
using DevMentor.Core.Security;
using DevMentor.Core.Storage;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;
using static DevMentor.Functions.Tests.Analytics.NotificationTests;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>Target secrets encrypted at rest and never shown; the SSRF filter at subscription and at delivery time; no redirects.</summary>
public sealed class NotificationSecurityTests
{
    private static async Task<JsonElement> LastAttemptAsync(Database db, string where = "true")
    {
        for (var i = 0; i < 200; i++)
        {
            var row = await ScalarAsync<string>(db, $"SELECT row_to_json(a)::text FROM notification_attempts a WHERE {where} ORDER BY id DESC LIMIT 1");
            if (row is not null)
            {
                return JsonDocument.Parse(row).RootElement.Clone();
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("no attempt was recorded");
    }

    [Fact]
    public async Task Target_secrets_are_encrypted_at_rest_and_never_shown()
    {
        await using var hooks = await HookReceiver.StartAsync();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-secrets"), Settings());
        var project = await ProjectAsync(app);
        const string secret = "caller-chosen-signing-secret-Wxyz";
        const string slackToken = "T0000/B0000/slackTokenAbCd";
        var webhook = await AddTargetAsync(app, project, $$"""{"kind":"webhook","target":"{{hooks.Url}}/hook?token=queryToken9","events":["run.failed"],"secret":"{{secret}}"}""");
        var slack = await AddTargetAsync(app, project, $$"""{"kind":"slack","target":"{{hooks.Url}}/services/{{slackToken}}","events":["run.failed"]}""");

        // Hints only: no secret, no Slack path, no query token, in the answers or the list.
        Assert.False(webhook.TryGetProperty("secret", out _), "a secret the caller chose is not echoed");
        Assert.Equal("…Wxyz", webhook.GetProperty("secretHint").GetString());
        Assert.Equal(hooks.Url + "/…ken9", webhook.GetProperty("target").GetString());
        Assert.Equal(hooks.Url + "/…AbCd", slack.GetProperty("target").GetString());
        using (var list = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, $"/projects/{project}/notifications", "alice")))
        {
            var text = await list.Content.ReadAsStringAsync();
            Assert.Equal(2, JsonDocument.Parse(text).RootElement.GetProperty("items").GetArrayLength());
            foreach (var plaintext in new[] { secret, slackToken, "queryToken9" })
            {
                Assert.DoesNotContain(plaintext, text, StringComparison.Ordinal);
            }
        }

        // At rest: nothing of them in any column, and the key ring is in the blob store, not the database.
        var db = app.Services.GetRequiredService<Database>();
        var rows = await ScalarAsync<string>(db, "SELECT string_agg(row_to_json(s)::text, ' ') FROM notification_subscriptions s");
        foreach (var plaintext in new[] { secret, slackToken, "queryToken9" })
        {
            Assert.DoesNotContain(plaintext, rows, StringComparison.Ordinal);
        }

        Assert.Equal(0L, await ScalarAsync<long>(db, "SELECT count(*) FROM notification_subscriptions WHERE secret IS NOT NULL OR target_protected IS NULL"));
        var keys = await app.Services.GetRequiredService<IBlobStore>().ListAsync(BlobXmlRepository.Prefix);
        Assert.NotEmpty(keys.Items);

        // Delivery decrypts them: the real URLs are called and the body is signed with the caller's secret.
        await FinishRunAsync(db, project, 1, "failed");
        var received = new[] { await hooks.NextAsync(), await hooks.NextAsync() };
        var signed = received.Single(r => r.Path == "/hook");
        Assert.Equal(NotificationSender.Sign(secret, signed.Body), signed.Headers[NotificationSender.SignatureHeader]);
        Assert.Contains(received, r => r.Path == "/services/" + slackToken);
    }

    [Fact]
    public async Task Plaintext_rows_from_before_the_migration_are_encrypted_and_still_delivered()
    {
        await using var hooks = await HookReceiver.StartAsync();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-legacy"), Settings(worker: false));
        var project = await ProjectAsync(app);
        var db = app.Services.GetRequiredService<Database>();
        await ExecAsync(db, """
            INSERT INTO notification_subscriptions (id, project_id, kind, target, secret, events)
            VALUES (gen_random_uuid(), @p1, 'webhook', @p2, 'legacy-plaintext-secret-1234', '{run.failed}')
            """, project, hooks.Url + "/legacy-hook");

        var worker = app.Services.GetRequiredService<NotificationWorker>();
        Assert.Equal(1, await worker.ProtectLegacyAsync(CancellationToken.None));
        Assert.Equal(0, await worker.ProtectLegacyAsync(CancellationToken.None));
        var row = JsonDocument.Parse((await ScalarAsync<string>(db, "SELECT row_to_json(s)::text FROM notification_subscriptions s"))!).RootElement;
        Assert.Equal(JsonValueKind.Null, row.GetProperty("secret").ValueKind);
        Assert.Equal("…1234", row.GetProperty("secret_hint").GetString());
        Assert.Equal(hooks.Url + "/…hook", row.GetProperty("target").GetString());
        Assert.DoesNotContain("legacy-plaintext", row.GetRawText(), StringComparison.Ordinal);

        await FinishRunAsync(db, project, 1, "failed");
        await worker.PassAsync(CancellationToken.None);
        var hook = await hooks.NextAsync();
        Assert.Equal("/legacy-hook", hook.Path);
        Assert.Equal(NotificationSender.Sign("legacy-plaintext-secret-1234", hook.Body), hook.Headers[NotificationSender.SignatureHeader]);
    }

    [Fact]
    public async Task Internal_addresses_are_refused_when_subscribing_however_they_are_spelled()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-ssrf"), Settings(allowPrivate: false));
        var project = await ProjectAsync(app);
        foreach (var url in new[]
        {
            "http://127.0.0.1/", "http://localhost:8080/x", "http://2130706433/", "http://0177.0.0.1/", "http://0x7f.0.0.1/", "http://127.1/",
            "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/", "http://10.1.2.3/", "http://172.16.0.9/", "http://192.168.0.1/", "http://[fe80::1]/",
            "http://224.0.0.1/", "http://0.0.0.0/", "http://[::]/", "http://100.64.0.1/", "http://[64:ff9b::a9fe:a9fe]/",
        })
        {
            foreach (var kind in new[] { "webhook", "slack" })
            {
                using var response = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, $"/projects/{project}/notifications", "alice",
                    $$"""{"kind":"{{kind}}","target":"{{url}}","events":["run.failed"]}"""));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{kind} {url} → {response.StatusCode} {text}");
                Assert.Contains("Refused: the host", text, StringComparison.Ordinal);
            }
        }

        // A public address is accepted (nothing is sent until an event happens).
        await AddTargetAsync(app, project, """{"kind":"webhook","target":"https://93.184.216.34/hook","events":["run.failed"]}""");
        Assert.False(TargetAddressPolicy.IsInternal(IPAddress.Parse("2606:4700::1111")));
        Assert.True(TargetAddressPolicy.IsInternal(IPAddress.Parse("2002:a9fe:a9fe::1")), "6to4 wrapping the metadata address");
    }

    [Fact]
    public async Task Delivery_to_a_name_that_resolves_to_loopback_is_refused_after_resolution()
    {
        // The name passed (or was allowed) when subscribing and resolves to 127.0.0.1 by delivery time: DNS rebinding.
        await using var hooks = await HookReceiver.StartAsync();
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-rebind"), Settings(allowPrivate: false));
        var project = await ProjectAsync(app);
        var secrets = app.Services.GetRequiredService<TargetSecrets>();
        var url = hooks.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/hook";
        await app.Services.GetRequiredService<NotificationStore>().AddAsync(project, NotificationKinds.Webhook, TargetSecrets.RedactUrl(url), secrets.Protect(url),
            secrets.Protect("0123456789abcdef0123"), "…0123", [NotificationEvents.RunFailed], "alice", CancellationToken.None);

        var db = app.Services.GetRequiredService<Database>();
        await FinishRunAsync(db, project, 1, "failed");
        var attempt = await LastAttemptAsync(db);
        Assert.False(attempt.GetProperty("succeeded").GetBoolean());
        var error = attempt.GetProperty("error").GetString()!;
        Assert.StartsWith("refused: the host localhost is or resolves to ", error, StringComparison.Ordinal);
        Assert.True(error.Contains("127.0.0.1, an internal address", StringComparison.Ordinal) || error.Contains("::1, an internal address", StringComparison.Ordinal), error);
        Assert.False(hooks.Received.Reader.TryRead(out _));
        await Task.Delay(300); // a retry (100 ms later) is refused the same way
        Assert.False(hooks.Received.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Redirects_are_not_followed()
    {
        await using var hooks = await HookReceiver.StartAsync();
        hooks.Answer = n => n == 1 ? 307 : 200;
        hooks.Location = "/elsewhere";
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("notify-redirect"), Settings());
        var project = await ProjectAsync(app);
        await AddTargetAsync(app, project, $$"""{"kind":"webhook","target":"{{hooks.Url}}/hook","events":["run.failed"]}""");
        var db = app.Services.GetRequiredService<Database>();
        await FinishRunAsync(db, project, 1, "failed");

        var first = await hooks.NextAsync();
        var retry = await hooks.NextAsync();
        Assert.Equal(("/hook", "/hook"), (first.Path, retry.Path));
        var attempt = await LastAttemptAsync(db, "attempt = 1");
        Assert.Equal((307, "HTTP 307"), (attempt.GetProperty("status_code").GetInt32(), attempt.GetProperty("error").GetString()));
        Assert.False(hooks.Received.Reader.TryRead(out _));
    }
}
