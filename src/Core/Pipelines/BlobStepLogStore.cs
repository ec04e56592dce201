using System.Globalization;
using System.Text;
using DevMentor.Core.Data;
using DevMentor.Core.Storage;

namespace DevMentor.Core.Pipelines;

/// <summary>
/// Step logs in the blob store: one append blob per step attempt
/// (<c>runs/{run}/steps/{step}/attempt-{n}.log</c>), written chunk by chunk while the step runs and
/// readable up to its last chunk at any time (see <see cref="IBlobStore.AppendAsync"/> for why
/// append blobs). PostgreSQL keeps only who may write (the lease, checked by <see cref="PostgresPipelineStore"/>) and the step's status.
/// </summary>
/// <remarks>
/// <para>The attempt is part of the key, so a runner that lost its lease can at worst add to the
/// log of the attempt it ran, never to its successor's.</para>
/// <para>A chunk id is the attempt and the byte offset the reader has reached
/// (<c>attempt &lt;&lt; 40 | offset</c>): ids grow with the log, as <see cref="IStepLogStore.ReadAfterAsync"/> promises.</para>
/// <para>Each attempt's log is capped here at <see cref="PipelineOptions.MaxLogBytes"/>, whatever a
/// runner sends: the bytes received are counted on the step's row under its lease, the chunk that
/// crosses the cap is cut at a character boundary and followed by the truncation notice, and later
/// chunks are accepted and dropped (the runner goes on; only the log stops growing).</para>
/// </remarks>
public sealed class BlobStepLogStore(Database database, PostgresPipelineStore store, IBlobStore blobs, PipelineOptions options) : IStepLogStore
{
    public static string TruncationNotice(long maxBytes) => string.Create(CultureInfo.InvariantCulture, $"[devmentor] log truncated at {maxBytes} bytes\n");

    private const int OffsetBits = 40; // 1 TiB per attempt, far above Pipelines:Runner:MaxLogBytes
    private const long OffsetMask = (1L << OffsetBits) - 1;

    public static string KeyFor(Guid runId, Guid stepId, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"runs/{runId:N}/steps/{stepId:N}/attempt-{attempt}.log");

    public async Task<bool> AppendAsync(Guid stepId, int attempt, string owner, string text, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (await store.CountLogBytesAsync(stepId, attempt, owner, bytes.Length, cancellationToken) is not (var runId, var before))
        {
            return false;
        }

        var max = options.MaxLogBytes;
        if (before >= max)
        {
            return true; // over the cap already: the notice is written, the rest is dropped
        }

        if (before + bytes.Length > max)
        {
            var keep = CompleteUtf8Length(bytes.AsSpan(0, (int)(max - before)));
            var notice = Encoding.UTF8.GetBytes(TruncationNotice(max));
            var newline = keep > 0 && bytes[keep - 1] != (byte)'\n' ? 1 : 0;
            var cut = new byte[keep + newline + notice.Length];
            bytes.AsSpan(0, keep).CopyTo(cut);
            if (newline == 1)
            {
                cut[keep] = (byte)'\n';
            }

            notice.CopyTo(cut, keep + newline);
            bytes = cut;
        }

        await blobs.AppendAsync(KeyFor(runId, stepId, attempt), bytes, new BlobWriteOptions
        {
            ContentType = "text/plain; charset=utf-8",
            Metadata = new Dictionary<string, string> { ["step"] = stepId.ToString("N"), ["attempt"] = attempt.ToString(CultureInfo.InvariantCulture) },
        }, cancellationToken);
        return true;
    }

    public async Task<string?> ReadAsync(Guid projectId, Guid runId, string stepName, CancellationToken cancellationToken)
    {
        if (await FindStepAsync(projectId, runId, stepName, cancellationToken) is not { } step)
        {
            return null;
        }

        var legacy = step.HasLegacyRows ? await ReadLegacyAsync(step.Id, cancellationToken) : [];
        var log = new StringBuilder();
        for (var attempt = 1; attempt <= step.Attempt; attempt++)
        {
            var (text, _) = await ReadFromAsync(KeyFor(runId, step.Id, attempt), 0, cancellationToken);
            if (text.Length == 0)
            {
                text = legacy.GetValueOrDefault(attempt, "");
            }

            if (text.Length > 0)
            {
                log.Append("==> attempt ").Append(attempt).Append('\n').Append(text);
            }
        }

        return log.ToString();
    }

    public async Task<StepLogChunks?> ReadAfterAsync(Guid projectId, Guid runId, string stepName, long afterId, CancellationToken cancellationToken)
    {
        // The status is read before the logs: a step's last chunk is written before its end is
        // recorded, so a terminal status read first means every chunk is already in the blobs.
        if (await FindStepAsync(projectId, runId, stepName, cancellationToken) is not { } step)
        {
            return null;
        }

        var (afterAttempt, afterOffset) = ((int)(afterId >> OffsetBits), afterId & OffsetMask);
        var legacy = step.HasLegacyRows ? await ReadLegacyAsync(step.Id, cancellationToken) : [];
        var chunks = new List<(long, int, string)>();
        for (var attempt = Math.Max(1, afterAttempt); attempt <= step.Attempt; attempt++)
        {
            var from = attempt == afterAttempt ? afterOffset : 0;
            var (text, end) = await ReadFromAsync(KeyFor(runId, step.Id, attempt), from, cancellationToken);
            if (text.Length == 0 && from == 0 && legacy.TryGetValue(attempt, out var old))
            {
                // The id moves past it, so the next read starts after the legacy text.
                (text, end) = (old, Encoding.UTF8.GetByteCount(old));
            }

            if (text.Length > 0)
            {
                chunks.Add((((long)attempt << OffsetBits) | end, attempt, text));
            }
        }

        return new StepLogChunks(step.Status, chunks);
    }

    private async Task<(Guid Id, StepStatus Status, int Attempt, bool HasLegacyRows)?> FindStepAsync(Guid projectId, Guid runId, string stepName, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT s.id, s.status, s.attempt, EXISTS (SELECT 1 FROM pipeline_step_logs l WHERE l.step_id = s.id)
            FROM pipeline_steps s
            JOIN pipeline_runs r ON r.id = s.run_id AND r.project_id = $1
            WHERE s.run_id = $2 AND s.name = $3
            """);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(stepName);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (reader.GetGuid(0), PipelineStatusNames.ParseStep(reader.GetString(1)), reader.GetInt32(2), reader.GetBoolean(3))
            : null;
    }

    /// <summary>
    /// Logs written before they moved to the blob store stayed as rows of <c>pipeline_step_logs</c>;
    /// they are read from there, per attempt, when that attempt has no blob, so an upgrade loses no log.
    /// </summary>
    private async Task<Dictionary<int, string>> ReadLegacyAsync(Guid stepId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT attempt, string_agg(text, '' ORDER BY id) FROM pipeline_step_logs WHERE step_id = $1 GROUP BY attempt");
        command.Parameters.AddWithValue(stepId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var byAttempt = new Dictionary<int, string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            byAttempt[reader.GetInt32(0)] = reader.GetString(1);
        }

        return byAttempt;
    }

    /// <summary>
    /// The log from byte <paramref name="from"/> to its end, and where the returned text ends. A
    /// trailing partial UTF-8 character (a chunk still being written to a file) is left for the next read.
    /// </summary>
    private async Task<(string Text, long End)> ReadFromAsync(string key, long from, CancellationToken cancellationToken)
    {
        BlobDownload download;
        try
        {
            download = await blobs.GetAsync(key, new BlobRange(from), cancellationToken);
        }
        catch (BlobNotFoundException)
        {
            return ("", from); // no chunk written in this attempt (yet)
        }

        await using (download)
        {
            using var buffer = new MemoryStream();
            await download.Content.CopyToAsync(buffer, cancellationToken);
            var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
            var complete = CompleteUtf8Length(bytes);
            return (Encoding.UTF8.GetString(bytes[..complete]), download.Offset + complete);
        }
    }

    private static int CompleteUtf8Length(ReadOnlySpan<byte> bytes)
    {
        // Look back at most four bytes for the lead byte of the last character.
        for (var back = 1; back <= Math.Min(4, bytes.Length); back++)
        {
            var b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // a continuation byte
            }

            var needed = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 1;
            return needed > back ? bytes.Length - back : bytes.Length;
        }

        return bytes.Length;
    }
}
