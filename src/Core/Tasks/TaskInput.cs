using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DevMentor.Core.Projects;

namespace DevMentor.Core.Tasks;

/// <summary>A validated create request: the fields, and whether to open the linked issue.</summary>
public sealed record TaskDraft(TaskFields Fields, bool Sync);

/// <summary>
/// Validation of task bodies. Create takes every field (title required); update is a JSON merge
/// patch (RFC 7396): a field present replaces, null clears (body, dueDate) or resets (labels,
/// assignees to empty, priority to none). Every problem is reported with its field.
/// </summary>
public static class TaskInput
{
    public const int MaxTitleLength = 256;
    public const int MaxBodyLength = 65_536;
    public const int MaxLabels = 20;
    public const int MaxLabelLength = 50;
    public const int MaxAssignees = 10;

    private static readonly HashSet<string> CreateFields = ["title", "body", "state", "labels", "assignees", "priority", "dueDate", "sync"];
    private static readonly HashSet<string> PatchFields = ["title", "body", "state", "labels", "assignees", "priority", "dueDate", "sync"];

    public static (TaskDraft? Draft, Dictionary<string, string[]> Errors) ValidateCreate(JsonNode? body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body is not JsonObject json)
        {
            errors[""] = ["The body must be a JSON object {\"title\": …}."];
            return (null, errors);
        }

        Unknown(json, CreateFields, errors);
        var empty = new TaskFields("", null, TaskStates.Open, [], [], "none", null);
        if (!json.ContainsKey("title"))
        {
            errors["title"] = ["is required."];
        }

        var fields = Apply(empty, json, errors);
        var sync = Sync(json, errors) ?? false;
        return errors.Count > 0 ? (null, errors) : (new TaskDraft(fields, sync), errors);
    }

    /// <returns>The fields after the patch, and whether the patch asks to start syncing (null: not said).</returns>
    public static (TaskFields? Fields, bool? Sync, Dictionary<string, string[]> Errors) ApplyPatch(TaskFields current, JsonNode? patch)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (patch is not JsonObject json)
        {
            errors[""] = ["The body must be a JSON object (a merge patch of the task)."];
            return (null, null, errors);
        }

        Unknown(json, PatchFields, errors);
        var fields = Apply(current, json, errors);
        var sync = Sync(json, errors);
        return errors.Count > 0 ? (null, null, errors) : (fields, sync, errors);
    }

    /// <summary>Text a person typed: no NUL or other control characters but newlines and tabs, valid Unicode.</summary>
    public static bool IsCleanText(string text, bool multiline) =>
        ProjectInput.IsValidUnicode(text) && !text.Any(c => char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'));

    public static string? LabelProblem(string label) =>
        label.Length is 0 or > MaxLabelLength || label.Trim() != label || !IsCleanText(label, multiline: false) || label.Contains(',', StringComparison.Ordinal)
            ? $"labels are 1 to {MaxLabelLength} characters, without commas, control characters or surrounding spaces."
            : null;

    private static TaskFields Apply(TaskFields current, JsonObject json, Dictionary<string, string[]> errors)
    {
        var fields = current;
        if (json.TryGetPropertyValue("title", out var title))
        {
            var text = ProjectInput.AsString(title)?.Trim();
            if (text is null || text.Length is 0 or > MaxTitleLength || !IsCleanText(text, multiline: false))
            {
                errors["title"] = [$"must be 1 to {MaxTitleLength} characters of text without control characters."];
            }
            else
            {
                fields = fields with { Title = text };
            }
        }

        if (json.TryGetPropertyValue("body", out var body))
        {
            var text = body is null ? null : ProjectInput.AsString(body);
            if (body is not null && (text is null || text.Length > MaxBodyLength || !IsCleanText(text, multiline: true)))
            {
                errors["body"] = [$"must be Markdown text of at most {MaxBodyLength} characters (no control characters but line breaks and tabs), or null."];
            }
            else
            {
                fields = fields with { Body = string.IsNullOrEmpty(text) ? null : text };
            }
        }

        if (json.TryGetPropertyValue("state", out var state))
        {
            var text = ProjectInput.AsString(state);
            if (text is null || !TaskStates.All.Contains(text))
            {
                errors["state"] = ["must be open, in_progress, done or closed."];
            }
            else
            {
                fields = fields with { State = text };
            }
        }

        if (json.TryGetPropertyValue("priority", out var priority))
        {
            var text = priority is null ? "none" : ProjectInput.AsString(priority);
            if (text is null || !TaskPriorities.All.Contains(text))
            {
                errors["priority"] = ["must be none, low, medium, high or urgent."];
            }
            else
            {
                fields = fields with { Priority = text };
            }
        }

        if (json.TryGetPropertyValue("dueDate", out var due))
        {
            var text = due is null ? null : ProjectInput.AsString(due);
            if (due is null)
            {
                fields = fields with { DueDate = null };
            }
            else if (text is null || !DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                errors["dueDate"] = ["must be a date YYYY-MM-DD, or null."];
            }
            else
            {
                fields = fields with { DueDate = date };
            }
        }

        if (json.TryGetPropertyValue("labels", out var labels))
        {
            var list = Strings(labels, "labels", MaxLabels, LabelProblem, errors);
            if (list is not null)
            {
                fields = fields with { Labels = list };
            }
        }

        if (json.TryGetPropertyValue("assignees", out var assignees))
        {
            var list = Strings(assignees, "assignees", MaxAssignees, Collaborators.CollaboratorService.UserIdProblem, errors);
            if (list is not null)
            {
                fields = fields with { Assignees = list };
            }
        }

        return fields;
    }

    /// <summary>A list of distinct strings (order kept, duplicates dropped); null (JSON) means empty.</summary>
    private static List<string>? Strings(JsonNode? node, string field, int max, Func<string, string?> problemOf, Dictionary<string, string[]> errors)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array || array.Count > max)
        {
            errors[field] = [$"must be an array of at most {max} strings."];
            return null;
        }

        var list = new List<string>();
        foreach (var item in array)
        {
            var text = ProjectInput.AsString(item);
            var problem = text is null ? "must hold strings only." : problemOf(text);
            if (problem is not null)
            {
                errors[field] = [problem];
                return null;
            }

            if (!list.Contains(text!, StringComparer.Ordinal))
            {
                list.Add(text!);
            }
        }

        return list;
    }

    private static bool? Sync(JsonObject json, Dictionary<string, string[]> errors)
    {
        if (!json.TryGetPropertyValue("sync", out var sync))
        {
            return null;
        }

        if (sync is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetValue<bool>();
        }

        errors["sync"] = ["must be true or false."];
        return null;
    }

    private static void Unknown(JsonObject json, HashSet<string> known, Dictionary<string, string[]> errors)
    {
        foreach (var (name, _) in json)
        {
            if (!known.Contains(name))
            {
                var shown = ProjectInput.IsValidUnicode(name) && !name.Any(char.IsControl) ? (name.Length > 100 ? name[..100] : name) : "(unreadable field name)";
                errors[shown] = ["is not a task field."];
            }
        }
    }
}
