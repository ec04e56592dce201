using System.Globalization;

namespace DevMentor.Core.Projects;

public static class ProjectListQueries
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;
    public const int MaxSearchLength = 200;

    /// <summary>Parses the list's query string; every invalid parameter is reported.</summary>
    public static (ProjectListQuery? Query, IReadOnlyDictionary<string, string[]> Errors) Parse(string? limit, string? cursor, string? q, string? archived)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var parsedLimit = DefaultLimit;
        if (!string.IsNullOrEmpty(limit) &&
            (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out parsedLimit) || parsedLimit is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"must be a whole number from 1 to {MaxLimit}."];
        }

        ProjectCursor? after = null;
        if (!string.IsNullOrEmpty(cursor) && !ProjectCursor.TryDecode(cursor, out after))
        {
            errors["cursor"] = ["is not a cursor this service issued (use nextCursor from the previous page)."];
        }

        var search = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        if (search is not null && (search.Length > MaxSearchLength || search.Any(char.IsControl)))
        {
            errors["q"] = [$"must be at most {MaxSearchLength} characters without control characters."];
        }

        var filter = ArchivedFilter.Exclude;
        switch (archived?.ToLowerInvariant())
        {
            case null or "" or "false":
                break;
            case "true":
                filter = ArchivedFilter.Only;
                break;
            case "all":
                filter = ArchivedFilter.Include;
                break;
            default:
                errors["archived"] = ["must be false (default: active projects), true (archived ones) or all."];
                break;
        }

        return errors.Count > 0 ? (null, errors) : (new ProjectListQuery(parsedLimit, after, search, filter), errors);
    }
}
