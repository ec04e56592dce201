using System.Net;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static DevMentor.Functions.Tests.Analytics.AnalyticsSeed;

namespace DevMentor.Functions.Tests.Analytics;

/// <summary>GET /projects/{id}/runs/events: server-sent run status changes, heartbeats, Last-Event-ID resume, members only.</summary>
public sealed class RunEventsTests
{
    private sealed record ServerEvent(string? Id, string Type, string Data);

    /// <summary>Reads one event at a time from a text/event-stream body (blocks without data, like the retry hint, are skipped).</summary>
    private sealed class EventReader(StreamReader reader)
    {
        private readonly StreamReader _reader = reader; // the response owns the stream

        public async Task<ServerEvent> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            while (true)
            {
                string? id = null, type = "message", data = null;
                for (string? line; (line = await _reader.ReadLineAsync(timeout.Token)) is not null && line.Length > 0;)
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    var (field, value) = colon < 0 ? (line, "") : (line[..colon], line[(colon + 1)..].TrimStart(' '));
                    switch (field)
                    {
                        case "id": id = value; break;
                        case "event": type = value; break;
                        case "data": data = data is null ? value : data + "\n" + value; break;
                    }
                }

                if (data is not null)
                {
                    return new ServerEvent(id, type, data);
                }
            }
        }

        public async Task<ServerEvent> NextRunAsync()
        {
            while (true)
            {
                var e = await NextAsync();
                if (e.Type == "run")
                {
                    return e;
                }
            }
        }
    }

    private static async Task<(HttpResponseMessage Response, EventReader Events)> OpenAsync(TestApp app, Guid project, string user, string? lastEventId = null)
    {
        using var request = TestAuth.Request(HttpMethod.Get, $"/projects/{project}/runs/events", user);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await app.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return (response, new EventReader(new StreamReader(await response.Content.ReadAsStreamAsync())));
    }

    private static (int Number, string Status) Run(ServerEvent e)
    {
        var run = JsonDocument.Parse(e.Data).RootElement;
        return (run.GetProperty("number").GetInt32(), run.GetProperty("status").GetString()!);
    }

    [Fact]
    public async Task Status_changes_stream_live_with_heartbeats_and_resume_from_the_last_event_id()
    {
        await using var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("run-events"),
            TestAuth.Settings(("Analytics:RunEventsPollMilliseconds", "50"), ("Analytics:RunEventsHeartbeatSeconds", "1")));
        using var created = await app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice", """{"name":"Live","visibility":"internal"}"""));
        var project = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        var db = app.Services.GetRequiredService<Database>();
        await ExecAsync(db, """
            INSERT INTO pipeline_runs (id, project_id, number, status, trigger, branch, definition, created_at)
            VALUES (gen_random_uuid(), @p1, 1, 'queued', 'push', 'main', '{}', now() - interval '1 minute')
            """, project);

        var (response, events) = await OpenAsync(app, project, "alice");
        string runningId;
        using (response)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal((1, "queued"), Run(await events.NextRunAsync())); // the newest runs first

            await ExecAsync(db, "UPDATE pipeline_runs SET status = 'running', started_at = clock_timestamp() WHERE project_id = @p1", project);
            var running = await events.NextRunAsync();
            Assert.Equal((1, "running"), Run(running));
            runningId = running.Id!;
            Assert.Equal("heartbeat", (await events.NextAsync()).Type); // a second without changes

            await ExecAsync(db, "UPDATE pipeline_runs SET status = 'succeeded', finished_at = clock_timestamp() WHERE project_id = @p1", project);
            var done = await events.NextRunAsync();
            Assert.Equal((1, "succeeded"), Run(done));
            Assert.True(long.Parse(done.Id!, System.Globalization.CultureInfo.InvariantCulture) > long.Parse(runningId, System.Globalization.CultureInfo.InvariantCulture));
        }

        // Reconnecting after the "running" event: only what came after it.
        var (resumed, again) = await OpenAsync(app, project, "alice", runningId);
        using (resumed)
        {
            Assert.Equal((1, "succeeded"), Run(await again.NextRunAsync()));
        }

        // Members only; a malformed id is a 400.
        var (stranger, _) = await OpenAsync(app, project, "mallory");
        using (stranger)
        {
            Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        }

        var (malformed, _) = await OpenAsync(app, project, "alice", "not-a-number");
        using (malformed)
        {
            Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        }
    }
}
