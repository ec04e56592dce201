using System.Text.Json;
using System.Text.Json.Serialization;

namespace DevMentor.Core.Search;

public static class SearchTypes
{
    public const string Project = "project";
    public const string Task = "task";
    public const string File = "file";
    public const string Code = "code";

    public static readonly IReadOnlyList<string> All = [Project, Task, File, Code];
}

/// <summary>Where the query matched, as plain text and offsets (never markup: the text is the repository's, shown by a browser).</summary>
/// <param name="Line">1-based line of a code match.</param>
/// <param name="Matches">[start, length] pairs in <see cref="Text"/>, in UTF-16 code units.</param>
public sealed record SearchSnippet(string Text, int? Line, IReadOnlyList<int[]> Matches);

/// <param name="Title">Project name, task title, or file path.</param>
/// <param name="TaskId">For tasks; <see cref="Path"/> for files and code.</param>
public sealed record SearchHit(string Type, Guid ProjectId, string Title, Guid? TaskId, string? Path, double Score, IReadOnlyList<SearchSnippet> Highlights);

public sealed record SearchPage(IReadOnlyList<SearchHit> Items, string? NextCursor);

public sealed record SearchQuery(string Text, string Type, Guid? ProjectId, int Limit, string? Cursor);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SearchPage))]
public sealed partial class SearchJsonContext : JsonSerializerContext;
