using System.Text.Json;
using System.Text.Json.Serialization;
using DevMentor.Core.Code.Analysis;
using DevMentor.Core.Code.Dependencies;

namespace DevMentor.Core.Code;

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(IReadOnlyList<MethodMetric>))]
[JsonSerializable(typeof(IReadOnlyList<TypeMetric>))]
[JsonSerializable(typeof(SyncPage))]
[JsonSerializable(typeof(Sync.SyncBuild))]
[JsonSerializable(typeof(CodeSync))]
[JsonSerializable(typeof(FilePage))]
[JsonSerializable(typeof(FileContent))]
[JsonSerializable(typeof(CommitAnalysis))]
[JsonSerializable(typeof(DependencyList))]
[JsonSerializable(typeof(DependencyChanges))]
[JsonSerializable(typeof(Edits.FileEditResult))]
[JsonSerializable(typeof(FileWriteBody))]
public sealed partial class CodeJsonContext : JsonSerializerContext;

/// <summary>A file's content as JSON (Accept: application/json): UTF-8 text as is, anything else in base64.</summary>
public sealed record FileContent(string Path, string Commit, string BlobSha, long Size, string? Language, string Encoding, string Content);

public sealed record DependencyList(string Commit, IReadOnlyList<Dependency> Items, IReadOnlyList<ManifestError> Errors);

public sealed record DependencyChanges(string From, string To, IReadOnlyList<DependencyChange> Changes);

/// <summary>A file write as JSON (PUT with Content-Type: application/json): text in UTF-8 (the default) or bytes in base64.</summary>
public sealed record FileWriteBody(string? Content, string? Encoding);
