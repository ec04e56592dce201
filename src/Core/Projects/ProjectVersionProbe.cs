using System.Threading.Channels;
using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Projects;

/// <summary>
/// Answers "which id and version does this project have right now?" for cache validation, with one
/// query for many concurrent requests: requests queue up, and each worker takes everything queued
/// and looks it all up at once (<c>= ANY</c>). Still never stale: a request is answered by a query
/// that started after the request was queued, so it sees every write committed before the request
/// arrived. Under load this turns hundreds of index probes a second into a few dozen round trips.
/// </summary>
public sealed class ProjectVersionProbe : IAsyncDisposable
{
    private const int MaxBatch = 256;
    private readonly Database _database;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Lazy<Task[]> _workers;

    public ProjectVersionProbe(Database database)
    {
        _database = database;
        // Two workers: a batch can be queried while the next one gathers, without many connections busy on probes.
        // Started outside the first caller's execution context, whose span would otherwise parent every later batch's SQL.
        _workers = new Lazy<Task[]>(() =>
        {
            using (ExecutionContext.SuppressFlow())
            {
                return [Task.Run(WorkAsync), Task.Run(WorkAsync)];
            }
        });
    }

    /// <param name="key">A project id (lowercase UUID text) or a well-formed slug.</param>
    public Task<(Guid Id, long Version)?> GetAsync(string key, CancellationToken cancellationToken)
    {
        _ = _workers.Value;
        var pending = new Pending(key, new TaskCompletionSource<(Guid, long)?>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);

        return pending.Result.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_workers.IsValueCreated)
        {
            await Task.WhenAll(_workers.Value);
        }
    }

    private async Task WorkAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                continue;
            }

            try
            {
                await ProbeAsync(batch);
            }
            catch (Exception e)
            {
                foreach (var pending in batch)
                {
                    pending.Result.TrySetException(e);
                }
            }
        }
    }

    private async Task ProbeAsync(List<Pending> batch)
    {
        var ids = new List<Guid>();
        var slugs = new List<string>();
        foreach (var pending in batch)
        {
            if (Guid.TryParse(pending.Key, out var id))
            {
                ids.Add(id);
            }
            else
            {
                slugs.Add(pending.Key);
            }
        }

        var byId = new Dictionary<Guid, long>();
        var bySlug = new Dictionary<string, (Guid, long)>(StringComparer.Ordinal);
        await using (var command = _database.DataSource.CreateCommand("SELECT id, slug, version FROM projects WHERE id = ANY($1) OR slug = ANY($2)"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids.ToArray() });
            command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = slugs.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
            while (await reader.ReadAsync(CancellationToken.None))
            {
                var (id, slug, version) = (reader.GetGuid(0), reader.GetString(1), reader.GetInt64(2));
                byId[id] = version;
                bySlug[slug] = (id, version);
            }
        }

        foreach (var pending in batch)
        {
            (Guid, long)? found = Guid.TryParse(pending.Key, out var id)
                ? byId.TryGetValue(id, out var version) ? (id, version) : null
                : bySlug.TryGetValue(pending.Key, out var head) ? head : null;
            pending.Result.TrySetResult(found);
        }
    }

    private sealed record Pending(string Key, TaskCompletionSource<(Guid Id, long Version)?> Result);
}
