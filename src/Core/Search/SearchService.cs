using System.Globalization;
using System.Text;
using DevMentor.Core.Data;
using DevMentor.Core.Security;
using Npgsql;
using NpgsqlTypes;

namespace DevMentor.Core.Search;

/// <summary>
/// GET /search: projects, tasks, default-branch file paths and text contents, with PostgreSQL
/// full-text (tsvector, 'simple' configuration) and trigram (pg_trgm) indexes. Every query joins
/// the projects the caller may see (admin, collaborator, or not private), so a private project
/// an outsider names by id answers exactly like one that does not exist: no hits.
/// Pages are keyset-paginated on (score desc, key): the cursor is the last hit's pair.
/// </summary>
public sealed class SearchService(Database database, PathTrigrams pathTrigrams)
{
    public const int MaxQueryLength = 200;
    public const int MaxLimit = 100;

    private const string Visible = """
        ($2 OR p.visibility <> 'private' OR EXISTS (SELECT 1 FROM project_collaborators c WHERE c.project_id = p.id AND c.user_id = $3))
        AND ($4::uuid IS NULL OR p.id = $4)
        """;

    // Selectors no repository text contains: ts_headline's marks become offsets, never markup.
    private const char Open = '\u0001';
    private const char Close = '\u0002';

    public static string? Validate(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "A search text is required."
        : text.Length > MaxQueryLength ? $"At most {MaxQueryLength} characters."
        : text.Any(char.IsControl) ? "Control characters are not allowed."
        : null;

    public async Task<SearchPage> SearchAsync(Caller caller, SearchQuery query, CancellationToken cancellationToken)
    {
        var (afterScore, afterKey) = ParseCursor(query.Cursor);
        var sql = query.Type switch
        {
            SearchTypes.Project => $"""
                SELECT 'project', p.id, p.name, NULL::uuid, NULL::text, score, p.id::text AS key,
                       ts_headline('simple', p.name || ' ' || p.description, q, 'StartSel=' || chr(1) || ',StopSel=' || chr(2) || ',MaxFragments=2'), NULL::text
                FROM projects p, websearch_to_tsquery('simple', $1) q,
                     LATERAL (SELECT (ts_rank(p.search, q) + similarity(p.name, $1))::float8 AS score) s
                WHERE (p.search @@ q OR p.name ILIKE $5) AND {Visible}
                """,
            SearchTypes.Task => $"""
                SELECT 'task', p.id, t.title, t.id, NULL::text, score, t.id::text AS key,
                       ts_headline('simple', t.title || ' ' || coalesce(t.body, ''), q, 'StartSel=' || chr(1) || ',StopSel=' || chr(2) || ',MaxFragments=2'), NULL::text
                FROM project_tasks t JOIN projects p ON p.id = t.project_id, websearch_to_tsquery('simple', $1) q,
                     LATERAL (SELECT ts_rank(to_tsvector('simple', t.title || ' ' || coalesce(t.body, '')), q)::float8 AS score) s
                WHERE (to_tsvector('simple', t.title || ' ' || coalesce(t.body, '')) @@ q OR t.title ILIKE $5) AND {Visible}
                """,
            SearchTypes.File => $"""
                SELECT 'file', p.id, f.path, NULL::uuid, f.path, score, p.id::text || ':' || f.path AS key, NULL::text, NULL::text
                FROM code_search_files f JOIN projects p ON p.id = f.project_id,
                     LATERAL (SELECT similarity(f.path, $1)::float8 AS score) s
                WHERE f.path ILIKE $9 AND f.path || '' ILIKE $5 AND {Visible}
                """,
            _ => $"""
                SELECT 'code', p.id, f.path, NULL::uuid, f.path, 0::float8 AS score, p.id::text || ':' || f.path AS key, NULL::text, f.content
                FROM code_search_files f JOIN projects p ON p.id = f.project_id
                WHERE f.content ILIKE $5 AND {Visible}
                """,
        };
        await using var command = database.DataSource.CreateCommand($"""
            SELECT * FROM ({sql}) hits
            WHERE $6::float8 IS NULL OR score < $6 OR (score = $6 AND key > $7)
            ORDER BY score DESC, key COLLATE "C" LIMIT $8
            """);
        command.Parameters.AddWithValue(query.Text);
        command.Parameters.AddWithValue(caller.IsAdmin);
        command.Parameters.AddWithValue(caller.UserId ?? "");
        command.Parameters.AddWithValue(NpgsqlDbType.Uuid, (object?)query.ProjectId ?? DBNull.Value);
        command.Parameters.AddWithValue("%" + EscapeLike(query.Text) + "%");
        command.Parameters.AddWithValue(NpgsqlDbType.Double, (object?)afterScore ?? DBNull.Value);
        command.Parameters.AddWithValue(afterKey ?? "");
        command.Parameters.AddWithValue(query.Limit + 1);
        if (query.Type == SearchTypes.File)
        {
            // $9 is what the trigram index looks up (the text without the trigrams most paths hold); `|| ''` keeps the
            // whole text ($5) out of the index condition: it is checked on the few rows the index returns.
            command.Parameters.AddWithValue("%" + EscapeLike(PathTrigrams.IndexText(query.Text, await pathTrigrams.CommonAsync(cancellationToken))) + "%");
        }

        var hits = new List<(SearchHit Hit, string Key)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var type = reader.GetString(0);
                var title = reader.GetString(2);
                var highlights = type switch
                {
                    SearchTypes.Project or SearchTypes.Task => FromHeadline(reader.IsDBNull(7) ? "" : reader.GetString(7)),
                    SearchTypes.File => [Substring(title, query.Text, null)],
                    _ => CodeLines(reader.IsDBNull(8) ? "" : reader.GetString(8), query.Text),
                };
                hits.Add((new SearchHit(type, reader.GetGuid(1), title, reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.GetDouble(5), highlights), reader.GetString(6)));
            }
        }

        var more = hits.Count > query.Limit;
        if (more)
        {
            hits.RemoveAt(hits.Count - 1);
        }

        return new SearchPage(hits.Select(h => h.Hit).ToList(), more ? Cursor(hits[^1].Hit.Score, hits[^1].Key) : null);
    }

    public static bool IsCursor(string cursor) => ParseCursor(cursor).Score is not null;

    private static string Cursor(double score, string key) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(score.ToString("R", CultureInfo.InvariantCulture) + "|" + key)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (double? Score, string? Key) ParseCursor(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (null, null);
        }

        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return bar > 0 && double.TryParse(text[..bar], NumberStyles.Float, CultureInfo.InvariantCulture, out var score) ? (score, text[(bar + 1)..]) : (null, null);
        }
        catch (FormatException)
        {
            return (null, null);
        }
    }

    private static string EscapeLike(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static List<SearchSnippet> FromHeadline(string headline)
    {
        var text = new StringBuilder();
        var matches = new List<int[]>();
        var start = -1;
        foreach (var c in headline)
        {
            if (c == Open)
            {
                start = text.Length;
            }
            else if (c == Close && start >= 0)
            {
                matches.Add([start, text.Length - start]);
                start = -1;
            }
            else
            {
                text.Append(c);
            }
        }

        return [new SearchSnippet(text.ToString(), null, matches)];
    }

    private static SearchSnippet Substring(string text, string query, int? line)
    {
        var matches = new List<int[]>();
        for (var at = text.IndexOf(query, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(query, at + query.Length, StringComparison.OrdinalIgnoreCase))
        {
            matches.Add([at, query.Length]);
        }

        return new SearchSnippet(text, line, matches);
    }

    /// <summary>The first three lines that hold the text (each cut to 300 characters).</summary>
    private static List<SearchSnippet> CodeLines(string content, string query)
    {
        var snippets = new List<SearchSnippet>();
        var number = 0;
        foreach (var line in content.Split('\n'))
        {
            number++;
            if (line.Contains(query, StringComparison.OrdinalIgnoreCase))
            {
                var text = line.TrimEnd('\r');
                snippets.Add(Substring(text.Length > 300 ? text[..300] : text, query, number));
                if (snippets.Count == 3)
                {
                    break;
                }
            }
        }

        return snippets;
    }
}
