using System.Collections.Frozen;
using DevMentor.Core.Data;

namespace DevMentor.Core.Search;

/// <summary>
/// The trigrams so many default-branch paths hold that a GIN trigram scan spends its time decoding their posting
/// trees and learns almost nothing from them ("fil", "src", "mod" in a generated tree). Read from the statistics
/// PostgreSQL's ANALYZE keeps on <c>show_trgm(path)</c> (migration 0036), at most once per <see cref="MaxAge"/>:
/// statistics, not answers; an out-of-date set only makes a search slower, never different
/// (<see cref="SearchService"/> always checks the whole text).
/// </summary>
public sealed class PathTrigrams(Database database) : IDisposable
{
    /// <summary>A trigram in at least this share of paths is left out of the index condition.</summary>
    public const double CommonShare = 0.05;

    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _refresh = new(1, 1);
    private (FrozenSet<string> Trigrams, DateTime ReadAt)? _snapshot;

    /// <summary>The common trigrams; the request that finds them out of date reads them again, the others keep the last set.</summary>
    public async ValueTask<FrozenSet<string>> CommonAsync(CancellationToken cancellationToken)
    {
        var snapshot = _snapshot;
        if (snapshot is { } current && DateTime.UtcNow - current.ReadAt < MaxAge)
        {
            return current.Trigrams;
        }

        if (snapshot is { } stale && !await _refresh.WaitAsync(0, cancellationToken))
        {
            return stale.Trigrams;
        }

        if (snapshot is null)
        {
            await _refresh.WaitAsync(cancellationToken);
        }

        try
        {
            return _snapshot is { } fresh && DateTime.UtcNow - fresh.ReadAt < MaxAge ? fresh.Trigrams : await ReadAsync(cancellationToken);
        }
        finally
        {
            _refresh.Release();
        }
    }

    public void Dispose() => _refresh.Dispose();

    /// <summary>Reads the set now (after an ANALYZE: tests, operations).</summary>
    public async Task<FrozenSet<string>> ReadAsync(CancellationToken cancellationToken)
    {
        // most_common_elem_freqs holds three more numbers than there are elements (min, max, null share): unnest pads
        // the elements with NULLs there. No row before the first ANALYZE, or when the table was empty: no common trigrams.
        await using var command = database.DataSource.CreateCommand("""
            SELECT m.trigram
            FROM pg_stats_ext_exprs s, unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS m(trigram, share)
            WHERE s.statistics_name = 'code_search_files_path_trigrams' AND s.schemaname = current_schema()
              AND m.trigram IS NOT NULL AND m.share >= $1
            """);
        command.Parameters.AddWithValue(CommonShare);
        var trigrams = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                trigrams.Add(reader.GetString(0));
            }
        }

        var set = trigrams.ToFrozenSet(StringComparer.Ordinal);
        _snapshot = (set, DateTime.UtcNow);
        return set;
    }

    /// <summary>
    /// What of <paramref name="text"/> a path search asks the trigram index for: the whole text, unless some of the
    /// trigrams pg_trgm takes from <c>%text%</c> are common; then the longest run of letters and digits whose
    /// trigrams are all uncommon (every path holding the text holds it: the whole text is checked afterwards). With
    /// no such run, the whole text: nothing cheaper would find the same rows.
    /// </summary>
    public static string IndexText(string text, IReadOnlySet<string> common)
    {
        if (common.Count == 0)
        {
            return text;
        }

        // pg_trgm's words: runs of letters and digits, lower-cased; a word inside the text (not at a % wildcard) is
        // padded like a whole word: two blanks before, one after.
        var lower = text.ToLowerInvariant();
        var anyCommon = false;
        (int Start, int Length) best = (0, 0);
        for (var start = 0; start < lower.Length;)
        {
            if (!char.IsLetterOrDigit(lower[start]))
            {
                start++;
                continue;
            }

            var end = start;
            while (end < lower.Length && char.IsLetterOrDigit(lower[end]))
            {
                end++;
            }

            var padded = (start > 0 ? "  " : "") + lower[start..end] + (end < lower.Length ? " " : "");
            var offset = start - (start > 0 ? 2 : 0);
            var runStart = -1;
            for (var i = 0; i + 3 <= padded.Length; i++)
            {
                var isCommon = common.Contains(padded.Substring(i, 3));
                anyCommon |= isCommon;
                var inner = offset + i >= start && offset + i + 3 <= end;
                if (inner && !isCommon)
                {
                    runStart = runStart < 0 ? offset + i : runStart;
                    var length = offset + i + 3 - runStart;
                    best = length > best.Length ? (runStart, length) : best;
                }
                else
                {
                    runStart = -1;
                }
            }

            start = end;
        }

        return anyCommon && best.Length > 0 ? text.Substring(best.Start, best.Length) : text;
    }
}
