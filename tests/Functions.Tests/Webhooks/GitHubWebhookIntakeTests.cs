using System.Net;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Webhooks;

/// <summary>POST /webhooks/github before processing: signature, storage, dedupe, ping.</summary>
public sealed class GitHubWebhookIntakeTests
{
    private static async Task<TestApp> StartAsync(string purpose) =>
        await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync(purpose), new Dictionary<string, string?> { ["GitHub:WebhookSecret"] = GitHubFixtures.Secret });

    private static async Task<long> StoredDeliveriesAsync(TestApp app)
    {
        await using var count = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT count(*) FROM webhook_deliveries");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_correctly_signed_delivery_is_stored_and_accepted()
    {
        await using var app = await StartAsync("gh_valid");
        var body = GitHubFixtures.Payload("issues.opened.payload.json");

        using var response = await app.Client.SendAsync(GitHubFixtures.Delivery("issues", body, "delivery-1"));
        using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("accepted", answer.RootElement.GetProperty("status").GetString());
        var stored = await app.Services.GetRequiredService<DevMentor.Core.Integrations.Webhooks.WebhookDeliveryStore>()
            .GetAsync(answer.RootElement.GetProperty("id").GetGuid(), CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal("delivery-1", stored.DeliveryId);
        Assert.Equal("issues", stored.Event);
        Assert.Equal(body, stored.Payload);
        Assert.Equal(GitHubSignature.Sign(GitHubFixtures.Secret, body), stored.Headers["X-Hub-Signature-256"]);
    }

    [Theory]
    [InlineData("wrong-secret", "The signature does not match")]
    [InlineData(null, "X-Hub-Signature-256 is missing")]
    [InlineData("sha1=7d38cdd689735b008b3c702edd92eea23791c5f6", "must be sha256=")]
    [InlineData("sha256=zz", "does not match")]
    public async Task A_bad_or_missing_signature_is_401_and_nothing_is_stored(string? signature, string reason)
    {
        await using var app = await StartAsync("gh_invalid_" + (signature ?? "missing").Length);
        var body = GitHubFixtures.Payload("push.with-new-branch.payload.json");
        var header = signature == "wrong-secret" ? GitHubSignature.Sign("not the secret", body) : signature;

        using var response = await app.Client.SendAsync(GitHubFixtures.Delivery("push", body, signature: header));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await StoredDeliveriesAsync(app));
    }

    [Fact]
    public async Task A_body_altered_after_signing_is_rejected()
    {
        await using var app = await StartAsync("gh_tampered");
        var body = GitHubFixtures.Payload("push.with-new-branch.payload.json");
        var signature = GitHubSignature.Sign(GitHubFixtures.Secret, body);
        body[^3] ^= 1;

        using var response = await app.Client.SendAsync(GitHubFixtures.Delivery("push", body, signature: signature));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Without_a_configured_secret_nothing_can_be_verified()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("gh_nosecret"));

        using var response = await app.Client.SendAsync(GitHubFixtures.Delivery("push", GitHubFixtures.Payload("push.payload.json")));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("GitHub:WebhookSecret", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ten_concurrent_copies_of_one_delivery_are_stored_once()
    {
        await using var app = await StartAsync("gh_dedupe");
        var body = GitHubFixtures.Payload("issues.opened.payload.json");

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.Client.SendAsync(GitHubFixtures.Delivery("issues", body, "same-delivery"))));
        var answers = await Task.WhenAll(responses.Select(async r => JsonDocument.Parse(await r.Content.ReadAsStringAsync())));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        Assert.Single(answers, a => a.RootElement.GetProperty("status").GetString() == "accepted");
        Assert.Equal(9, answers.Count(a => a.RootElement.GetProperty("duplicate").GetBoolean()));
        Assert.Single(answers.Select(a => a.RootElement.GetProperty("id").GetGuid()).Distinct());
        Assert.Equal(1, await StoredDeliveriesAsync(app));
    }

    [Fact]
    public async Task Ping_answers_200_and_is_recorded_as_processed()
    {
        await using var app = await StartAsync("gh_ping");

        using var response = await app.Client.SendAsync(GitHubFixtures.Delivery("ping", GitHubFixtures.Payload("ping.payload.json")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var status = app.Services.GetRequiredService<Database>().DataSource.CreateCommand("SELECT status || ':' || outcome FROM webhook_deliveries");
        Assert.Equal("processed:pong", await status.ExecuteScalarAsync());
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType)]
    [InlineData(null, HttpStatusCode.UnsupportedMediaType)]
    public async Task A_verified_delivery_that_is_not_json_is_415(string? contentType, HttpStatusCode expected)
    {
        await using var app = await StartAsync("gh_mediatype_" + (contentType?.Length ?? 0));
        using var request = GitHubFixtures.Delivery("push", GitHubFixtures.Payload("push.payload.json"));
        request.Content!.Headers.ContentType = contentType is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);

        using var response = await app.Client.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(0, await StoredDeliveriesAsync(app));
    }

    [Fact]
    public async Task A_payload_over_the_api_limit_but_within_githubs_is_accepted()
    {
        await using var app = await StartAsync("gh_large");
        var padding = new string('x', 3 * 1024 * 1024);
        var body = GitHubFixtures.Payload("issues.opened.payload.json", ("It looks like you accidently spelled", padding));

        using var response = await app.Client.SendAsync(GitHubFixtures.Delivery("issues", body));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }
}
