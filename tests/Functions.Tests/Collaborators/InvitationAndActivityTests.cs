using System.Net;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Projects;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.Collaborators;

/// <summary>Invitations (send, renew, accept, decline, revoke, expiry, who may) and the activity feed they and tasks write to.</summary>
public sealed class InvitationAndActivityTests(ProjectsApi api) : IClassFixture<ProjectsApi>
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpMethod method, string url, string user, string? json = null)
    {
        using var response = await api.SendAsync(method, url, user, json);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<string> ProjectAsync() =>
        (await api.CreateAsync("owen", "collab-" + Guid.NewGuid().ToString("N")[..6])).GetProperty("id").GetString()!;

    [Fact]
    public async Task An_invitee_accepts_and_becomes_a_collaborator_in_the_invited_role()
    {
        var id = await ProjectAsync();
        var (sent, invitation) = await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"ivy","role":"developer"}""");
        Assert.Equal(HttpStatusCode.Created, sent);
        Assert.Equal("pending", invitation.GetProperty("status").GetString());
        var created = invitation.GetProperty("createdAt").GetDateTimeOffset();
        Assert.Equal(TimeSpan.FromDays(7), invitation.GetProperty("expiresAt").GetDateTimeOffset() - created);
        var invitationId = invitation.GetProperty("id").GetString();

        // Before accepting, ivy cannot see the (private) project; she sees her invitation.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/projects/{id}", "ivy")).Status);
        var (_, mine) = await SendAsync(HttpMethod.Get, "/invitations", "ivy");
        Assert.Equal(invitationId, Assert.Single(mine.GetProperty("items").EnumerateArray()).GetProperty("id").GetString());

        // Nobody else can answer it.
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, $"/invitations/{invitationId}/accept", "mallory")).Status);

        var (accepted, answer) = await SendAsync(HttpMethod.Post, $"/invitations/{invitationId}/accept", "ivy");
        Assert.Equal(HttpStatusCode.OK, accepted);
        Assert.Equal("accepted", answer.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, $"/projects/{id}", "ivy")).Status);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "ivy", """{"title":"first task","assignees":["ivy"]}""")).Status);

        // Used once; inviting a collaborator again is a conflict.
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, $"/invitations/{invitationId}/decline", "ivy")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"ivy","role":"viewer"}""")).Status);
    }

    [Fact]
    public async Task Declined_revoked_and_expired_invitations_add_nobody_and_only_owners_invite()
    {
        var id = await ProjectAsync();
        await api.AddCollaboratorAsync(id, "owen", "max", "maintainer");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "max", """{"userId":"dan","role":"viewer"}""")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"dan","role":"boss"}""")).Status);

        var (_, declined) = await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"dan","role":"viewer"}""");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Post, $"/invitations/{declined.GetProperty("id").GetString()}/decline", "dan")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/projects/{id}", "dan")).Status);

        var (_, revoked) = await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"rae","role":"viewer"}""");
        // A second invitation to the same user renews the pending one (200, same id, new role).
        var (renewed, again) = await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"rae","role":"developer"}""");
        Assert.Equal(HttpStatusCode.OK, renewed);
        Assert.Equal((revoked.GetProperty("id").GetString(), "developer"), (again.GetProperty("id").GetString(), again.GetProperty("role").GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/projects/{id}/invitations/{revoked.GetProperty("id").GetString()}", "owen")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, $"/invitations/{revoked.GetProperty("id").GetString()}/accept", "rae")).Status);

        var (_, expiring) = await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"eve","role":"viewer"}""");
        var expiringId = expiring.GetProperty("id").GetGuid();
        await using (var age = api.App.Services.GetRequiredService<Database>().DataSource.CreateCommand(
            "UPDATE project_invitations SET created_at = created_at - interval '8 days', expires_at = expires_at - interval '8 days' WHERE id = $1"))
        {
            age.Parameters.AddWithValue(expiringId);
            await age.ExecuteNonQueryAsync();
        }

        Assert.Empty((await SendAsync(HttpMethod.Get, "/invitations", "eve")).Body.GetProperty("items").EnumerateArray());
        var (expired, problem) = await SendAsync(HttpMethod.Post, $"/invitations/{expiringId}/accept", "eve");
        Assert.Equal(HttpStatusCode.Conflict, expired);
        Assert.Contains("expired", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/projects/{id}", "eve")).Status);
        Assert.Empty((await SendAsync(HttpMethod.Get, $"/projects/{id}/invitations", "owen")).Body.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task The_activity_feed_shows_what_happened_newest_first_to_members_only()
    {
        var id = await ProjectAsync();
        var (_, invitation) = await SendAsync(HttpMethod.Post, $"/projects/{id}/invitations", "owen", """{"userId":"ada","role":"developer"}""");
        await SendAsync(HttpMethod.Post, $"/invitations/{invitation.GetProperty("id").GetString()}/accept", "ada");
        await SendAsync(HttpMethod.Post, $"/projects/{id}/tasks", "ada", """{"title":"feed me"}""");
        await SendAsync(HttpMethod.Patch, $"/projects/{id}/tasks/1", "ada", """{"state":"done"}""");
        await SendAsync(HttpMethod.Delete, $"/projects/{id}/tasks/1", "owen");

        var kinds = new List<string>();
        var entries = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var (status, page) = await SendAsync(HttpMethod.Get, $"/projects/{id}/activity?limit=2" + (cursor is null ? "" : "&cursor=" + cursor), "ada");
            Assert.Equal(HttpStatusCode.OK, status);
            entries.AddRange(page.GetProperty("items").EnumerateArray());
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        kinds.AddRange(entries.Select(e => e.GetProperty("kind").GetString()!));

        Assert.Equal(["task.changed", "task.changed", "task.changed", "invitation.accepted", "collaborator.changed", "invitation.pending", "collaborator.changed", "project.created"], kinds);
        Assert.Equal(["deleted", "updated", "created"], entries.Take(3).Select(e => e.GetProperty("detail").GetProperty("change").GetString()));
        Assert.Equal("ada", entries[1].GetProperty("actor").GetString());
        Assert.Equal(("ada", "added"), (entries[4].GetProperty("detail").GetProperty("userId").GetString(), entries[4].GetProperty("detail").GetProperty("change").GetString()));
        Assert.True(entries.Select(e => e.GetProperty("id").GetInt64()).SequenceEqual(entries.Select(e => e.GetProperty("id").GetInt64()).OrderDescending()));

        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, $"/projects/{id}/activity", "stranger")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Get, $"/projects/{id}/activity?cursor=zzz", "ada")).Status);
    }
}
