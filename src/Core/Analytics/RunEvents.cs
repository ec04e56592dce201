using System.Runtime.CompilerServices;
using DevMentor.Core.Data;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;
using Npgsql;

namespace DevMentor.Core.Analytics;

/// <summary>
/// A run as a status stream sends it. <paramref name="Cursor"/> is when the run last changed status
/// (the latest of its creation, start and finish) in microseconds since the epoch: the event id a
/// client sends back as Last-Event-ID to resume.
/// </summary>
public sealed record RunStatusEvent(
    long Cursor, Guid RunId, int Number, string Status, string? Branch, string Trigger, string? Commit,
    DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>What a run-status stream yields: a run whose status changed, or a heartbeat (null).</summary>
public readonly record struct RunStreamItem(RunStatusEvent? Run);

/// <summary>Reads runs for the status stream through the analytics feature's own SQL (it does not import the pipelines feature).</summary>
public sealed class RunEventsStore(Database database)
{
    private const string Select = """
        SELECT (extract(epoch FROM changed_at) * 1000000)::bigint, id, number, status, branch, trigger, commit_sha, created_at, started_at, finished_at
        FROM (SELECT r.*, greatest(r.created_at, r.started_at, r.finished_at) AS changed_at FROM pipeline_runs r WHERE r.project_id = $1) r
        """;

    /// <summary>The newest runs, oldest change first: what a new stream starts with.</summary>
    public Task<IReadOnlyList<RunStatusEvent>> LatestAsync(Guid projectId, int limit, CancellationToken cancellationToken) =>
        ReadAsync($"SELECT * FROM ({Select} ORDER BY number DESC LIMIT $2) x ORDER BY 1, 3", projectId, limit, null, cancellationToken);

    /// <summary>Runs whose status changed after <paramref name="cursor"/>, oldest change first.</summary>
    public Task<IReadOnlyList<RunStatusEvent>> ChangedSinceAsync(Guid projectId, long cursor, int limit, CancellationToken cancellationToken) =>
        ReadAsync($"{Select} WHERE changed_at > to_timestamp($3::float8 / 1000000) ORDER BY changed_at, number LIMIT $2", projectId, limit, cursor, cancellationToken);

    private async Task<IReadOnlyList<RunStatusEvent>> ReadAsync(string sql, Guid projectId, int limit, long? cursor, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(limit);
        if (cursor is { } c)
        {
            command.Parameters.AddWithValue(c);
        }

        var items = new List<RunStatusEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new RunStatusEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3), Text(reader, 4), reader.GetString(5),
                Text(reader, 6), reader.GetFieldValue<DateTimeOffset>(7), Time(reader, 8), Time(reader, 9)));
        }

        return items;
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static DateTimeOffset? Time(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetFieldValue<DateTimeOffset>(ordinal);
}

/// <summary>
/// Live run status for the dashboard (server-sent events): project members only, like analytics.
/// The stream polls the database; each poll looks a little further back than the last change it saw
/// (a transaction stamps its times before it commits) and sends a run only when its status differs
/// from what this stream sent.
/// </summary>
public sealed class RunEventsService(ProjectAccess access, RunEventsStore store, AnalyticsOptions options, TimeProvider clock)
{
    private const int SnapshotSize = 20;
    private const long LookbackMicros = 30_000_000;

    public async Task<Outcome<Guid>> AuthorizeAsync(Caller caller, string idOrSlug, CancellationToken cancellationToken)
    {
        var allowed = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (allowed.Outcome != AccessOutcome.Allowed)
        {
            return Outcome<Guid>.Fail(OutcomeKind.NotFound, $"No project '{idOrSlug}'.");
        }

        return caller.IsAdmin || (caller.UserId is { } user && allowed.Snapshot!.Collaborators.ContainsKey(user))
            ? Outcome<Guid>.Ok(allowed.Project!.Id)
            : Outcome<Guid>.Fail(OutcomeKind.Forbidden, "Live run status is for the project's members.");
    }

    /// <param name="lastEventId">The cursor a reconnecting client last saw: only later changes are sent. Null: the newest runs first.</param>
    public async IAsyncEnumerable<RunStreamItem> StreamAsync(Guid projectId, long? lastEventId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sent = new Dictionary<Guid, string>();
        var floor = lastEventId ?? long.MinValue;
        var cursor = lastEventId ?? 0L;
        if (lastEventId is null)
        {
            foreach (var run in await store.LatestAsync(projectId, SnapshotSize, cancellationToken))
            {
                sent[run.RunId] = run.Status;
                cursor = Math.Max(cursor, run.Cursor);
                yield return new RunStreamItem(run);
            }
        }

        var quietSince = clock.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!await DelayAsync(options.RunEventsPoll, cancellationToken))
            {
                yield break;
            }

            var any = false;
            foreach (var run in await store.ChangedSinceAsync(projectId, cursor - LookbackMicros, 500, cancellationToken))
            {
                if (run.Cursor <= floor || (sent.TryGetValue(run.RunId, out var status) && status == run.Status))
                {
                    continue;
                }

                sent[run.RunId] = run.Status;
                cursor = Math.Max(cursor, run.Cursor);
                any = true;
                yield return new RunStreamItem(run);
            }

            if (any)
            {
                quietSince = clock.GetTimestamp();
            }
            else if (clock.GetElapsedTime(quietSince) >= options.RunEventsHeartbeat)
            {
                quietSince = clock.GetTimestamp();
                yield return new RunStreamItem(null);
            }
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, clock, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
