using DevMentor.Core.Code.Analysis;

namespace DevMentor.Core.Code;

public static class SyncStages
{
    public const string Fetch = "fetch";
    public const string Index = "index";
    public const string Dependencies = "dependencies";
    public const string Analyse = "analyse";
    public const string Build = "build";
    public const string Status = "status";

    /// <summary>In order: each runs once its predecessors have succeeded (or been skipped).</summary>
    public static readonly IReadOnlyList<string> All = [Fetch, Index, Dependencies, Analyse, Build, Status];
}

/// <summary>A sync of one commit of one project: what started it and where it stands.</summary>
public sealed record CodeSync(
    Guid Id, Guid ProjectId, string CommitSha, string? Ref, string? BeforeSha, bool Forced, Guid? DeliveryId, string Trigger, string Status,
    int Attempts, string? Summary, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt)
{
    public IReadOnlyList<SyncStage> Stages { get; init; } = [];

    /// <summary>The build the push asked for; null when the ref does not build.</summary>
    public Sync.SyncBuild? Build { get; init; }
}

public sealed record SyncStage(string Stage, string Status, int Attempts, string? Detail, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

public sealed record SyncPage(IReadOnlyList<CodeSync> Items, string? NextCursor);

/// <summary>A request to sync a commit; <see cref="Trigger"/> is push, manual or on_demand.</summary>
public sealed record SyncRequest(Guid ProjectId, string CommitSha, string? Ref, string? BeforeSha, Guid? DeliveryId, string Trigger, Sync.SyncBuild? Build = null);

/// <summary>One entry of a commit's tree.</summary>
/// <param name="Kind">file, executable, symlink, submodule; in a non-recursive listing also directory.</param>
public sealed record CodeFile(string Path, string Kind, string Mode, string? BlobSha, long? Size, string? Language, bool IsBinary);

public sealed record FilePage(string Commit, IReadOnlyList<CodeFile> Items, string? NextCursor);

public sealed record FileMetrics(string BlobSha, string? Language, LineCounts Lines, CSharpFileMetrics? CSharp);

public sealed record LanguageTotals(string Language, int Files, int Code, int Comment, int Blank);

public sealed record ComplexMethod(string Path, string Name, int Line, int Complexity);

public sealed record TypeMaintainability(string Path, string Name, int Line, double Maintainability);

/// <summary>What GET /projects/{id}/analysis answers for a commit.</summary>
public sealed record CommitAnalysis(
    string Commit, int Files, int AnalysedFiles, int Code, int Comment, int Blank, IReadOnlyList<LanguageTotals> Languages,
    IReadOnlyList<ComplexMethod> MostComplexMethods, IReadOnlyList<TypeMaintainability> LeastMaintainableTypes);
