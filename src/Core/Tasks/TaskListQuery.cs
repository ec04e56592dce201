using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace DevMentor.Core.Tasks;

/// <summary>A page of a project's tasks, newest (highest number) first, after <see cref="BeforeNumber"/>.</summary>
public sealed record TaskListQuery(int Limit, int? BeforeNumber, string? State, string? Label, string? Assignee, string? Text);

public static class TaskListQueries
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;
    public const int MaxTextLength = 200;

    public static (TaskListQuery? Query, IReadOnlyDictionary<string, string[]> Errors) Parse(
        string? limit, string? cursor, string? state, string? label, string? assignee, string? q)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var parsedLimit = DefaultLimit;
        if (!string.IsNullOrEmpty(limit) &&
            (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out parsedLimit) || parsedLimit is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"must be a whole number from 1 to {MaxLimit}."];
        }

        int? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            before = DecodeCursor(cursor);
            if (before is null)
            {
                errors["cursor"] = ["is not a cursor this service issued (use nextCursor from the previous page)."];
            }
        }

        if (!string.IsNullOrEmpty(state) && !TaskStates.All.Contains(state))
        {
            errors["state"] = ["must be open, in_progress, done or closed."];
        }

        if (!string.IsNullOrEmpty(label) && TaskInput.LabelProblem(label) is { } labelProblem)
        {
            errors["label"] = [labelProblem];
        }

        if (!string.IsNullOrEmpty(assignee) && Collaborators.CollaboratorService.UserIdProblem(assignee) is { } assigneeProblem)
        {
            errors["assignee"] = [assigneeProblem];
        }

        var text = string.IsNullOrWhiteSpace(q) ? null : q.Trim();
        if (text is not null && (text.Length > MaxTextLength || !TaskInput.IsCleanText(text, multiline: false)))
        {
            errors["q"] = [$"must be at most {MaxTextLength} characters without control characters."];
        }

        return errors.Count > 0
            ? (null, errors)
            : (new TaskListQuery(parsedLimit, before, NullIfEmpty(state), NullIfEmpty(label), NullIfEmpty(assignee), text), errors);
    }

    /// <summary>The cursor is the last number of the page, opaque to clients.</summary>
    public static string EncodeCursor(int number) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes("t." + number.ToString(CultureInfo.InvariantCulture)));

    private static int? DecodeCursor(string cursor)
    {
        if (cursor.Length > 40)
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith("t.", StringComparison.Ordinal) &&
                int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
                ? number
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
