using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Activity;

/// <param name="Kind">project.created, pushed, built, deployed, task.changed, collaborator.changed, invitation.pending/accepted/declined/revoked.</param>
public sealed record ActivityEntry(long Id, DateTimeOffset At, string? Actor, string Kind, JsonElement Detail);

public sealed record ActivityPage(IReadOnlyList<ActivityEntry> Items, string? NextCursor);

/// <summary>
/// A project's activity, newest first, to anyone who can read the project. The rows are written
/// by triggers (migration 0017) where things happen; this only reads them, a keyset page at a time.
/// </summary>
public sealed class ActivityFeed(ProjectAccess access, Database database)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static (int Limit, long? Before, Dictionary<string, string[]> Errors) Parse(string? limit, string? cursor)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var parsed = DefaultLimit;
        if (!string.IsNullOrEmpty(limit) && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out parsed) || parsed is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"must be a whole number from 1 to {MaxLimit}."];
        }

        long? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            try
            {
                var text = cursor.Length > 40 ? "" : Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
                if (text.StartsWith("a.", StringComparison.Ordinal) && long.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    before = id;
                }
            }
            catch (FormatException)
            {
                // reported below
            }

            if (before is null)
            {
                errors["cursor"] = ["is not a cursor this service issued (use nextCursor from the previous page)."];
            }
        }

        return (parsed, before, errors);
    }

    public async Task<Outcome<ActivityPage>> ListAsync(Caller caller, string idOrSlug, int limit, long? before, CancellationToken cancellationToken)
    {
        var result = await access.AuthorizeAsync(caller, idOrSlug, ProjectPermission.Read, cancellationToken);
        if (result.Outcome != AccessOutcome.Allowed)
        {
            return ProjectService.Denied<ActivityPage>(result, idOrSlug);
        }

        await using var command = database.DataSource.CreateCommand("""
            SELECT id, at, actor, kind, detail::text FROM project_activity
            WHERE project_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3
            """);
        command.Parameters.AddWithValue(result.Project!.Id);
        command.Parameters.Add(new Npgsql.NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = before.HasValue ? before.Value : DBNull.Value });
        command.Parameters.AddWithValue(limit + 1);
        var items = new List<ActivityEntry>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                using var detail = JsonDocument.Parse(reader.GetString(4));
                items.Add(new ActivityEntry(reader.GetInt64(0), reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.GetString(3), detail.RootElement.Clone()));
            }
        }

        var more = items.Count > limit;
        if (more)
        {
            items.RemoveAt(items.Count - 1);
        }

        return Outcome<ActivityPage>.Ok(new ActivityPage(items,
            more ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes("a." + items[^1].Id.ToString(CultureInfo.InvariantCulture))) : null));
    }
}
