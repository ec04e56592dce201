using System.Collections.Concurrent;
using System.Text;
using DevMentor.Core.Code.Analysis;
using DevMentor.Core.Code.Dependencies;
using DevMentor.Core.Git;

namespace DevMentor.Core.Code.Sync;

/// <summary>
/// The work of the index, dependencies and analyse stages, reading the project's mirror. Each
/// method replaces what an interrupted earlier attempt wrote, so it can run again safely.
/// </summary>
public sealed class CodeIndexer(CodeStore store, RepositoryMirrors mirrors, CodeSyncOptions options)
{
    private const int Batch = 500;
    private const long MaxManifestBytes = 5 * 1024 * 1024;
    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private async Task<IGitRepositoryReader> OpenMirrorAsync(Guid projectId, string commitSha, CancellationToken cancellationToken) =>
        await mirrors.EnsureCommitAsync(projectId, commitSha, cancellationToken) && mirrors.Open(projectId) is { } reader
            ? reader
            : throw new SyncFailedException($"commit {commitSha} is neither in the mirror nor on the remote");

    /// <summary>Writes the commit's tree (path, size, blob, language, text or binary) and moves the ref to it.</summary>
    public async Task<string?> IndexAsync(Guid projectId, string commitSha, string? gitRef, CancellationToken cancellationToken)
    {
        var detail = "already indexed";
        if (!await store.IsIndexedAsync(projectId, commitSha, cancellationToken))
        {
            List<CodeFile> files;
            using (var reader = await OpenMirrorAsync(projectId, commitSha, cancellationToken))
            {
                files = reader.ListTree(commitSha, new GitTreeListing(Recursive: true, DetectBinary: true), cancellationToken)
                    .Select(e => new CodeFile(e.Path, KindName(e.Kind), e.Mode, e.Sha, e.Size, e.Kind == GitEntryKind.Submodule ? null : Languages.Detect(e.Path), e.IsBinary ?? false))
                    .ToList();
            }

            await store.ReplaceTreeAsync(projectId, commitSha, files, cancellationToken);
            detail = $"{files.Count} files";
        }

        if (gitRef is not null)
        {
            await store.UpsertRefAsync(projectId, gitRef, commitSha, cancellationToken);
        }

        return detail;
    }

    public async Task<string?> DependenciesAsync(Guid projectId, string commitSha, CancellationToken cancellationToken)
    {
        var manifests = (await store.TreeAsync(projectId, commitSha, cancellationToken))
            .Where(f => f.Kind is "file" or "executable" && ManifestParsers.IsManifest(f.Path))
            .ToList();
        var results = new List<ManifestResult>();
        var errors = new List<ManifestError>();
        using (var reader = await OpenMirrorAsync(projectId, commitSha, cancellationToken))
        {
            foreach (var manifest in manifests)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (manifest.Size > MaxManifestBytes || manifest.IsBinary)
                {
                    errors.Add(new ManifestError(manifest.Path, manifest.IsBinary ? "binary content" : $"larger than {MaxManifestBytes} bytes"));
                    continue;
                }

                try
                {
                    var text = StrictUtf8.GetString(reader.ReadBlob(manifest.BlobSha!) ?? []).TrimStart('\uFEFF');
                    results.Add(ManifestParsers.Parse(manifest.Path, text));
                }
                catch (Exception e) when (e is ManifestException or DecoderFallbackException)
                {
                    errors.Add(new ManifestError(manifest.Path, e is ManifestException ? e.Message : "not UTF-8 text"));
                }
            }
        }

        var dependencies = ManifestParsers.Merge(results);
        await store.ReplaceDependenciesAsync(projectId, commitSha, dependencies, errors, cancellationToken);
        return $"{dependencies.Count} dependencies from {results.Count} manifests" + (errors.Count > 0 ? $", {errors.Count} unreadable" : "");
    }

    /// <summary>Line counts (and C# metrics) of every text file up to 1 MiB whose blob the project has not analysed before.</summary>
    public async Task<string> AnalyseAsync(Guid projectId, string commitSha, CancellationToken cancellationToken)
    {
        var candidates = (await store.TreeAsync(projectId, commitSha, cancellationToken))
            .Where(f => f.Kind is "file" or "executable" && !f.IsBinary && f.Size <= options.MaxAnalysedBytes)
            .GroupBy(f => f.BlobSha!).Select(g => g.First()).ToList();
        var missing = await store.UnanalysedAsync(projectId, candidates.Select(c => c.BlobSha!).ToList(), cancellationToken);
        var todo = candidates.Where(c => missing.Contains(c.BlobSha!)).ToList();
        using var reader = await OpenMirrorAsync(projectId, commitSha, cancellationToken);
        foreach (var chunk in todo.Chunk(Batch))
        {
            // libgit2 reads one blob at a time on this thread; the counting and parsing use every core.
            var contents = chunk.Select(f => (File: f, Bytes: reader.ReadBlob(f.BlobSha!))).ToList();
            var measured = new ConcurrentBag<FileMetrics>();
            Parallel.ForEach(contents, new ParallelOptions { CancellationToken = cancellationToken }, item =>
            {
                if (item.Bytes is { } bytes)
                {
                    measured.Add(Measure(item.File, bytes, cancellationToken));
                }
            });
            await store.SaveMetricsAsync(projectId, measured.ToList(), cancellationToken);
        }

        return $"{todo.Count} files analysed, {candidates.Count - todo.Count} unchanged";
    }

    public static FileMetrics Measure(CodeFile file, byte[] bytes, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(bytes);
        var syntax = Languages.Syntax(file.Path);
        var lines = LineCounter.Count(text, syntax);
        CSharpFileMetrics? csharp = null;
        if (file.Language == "C#")
        {
            csharp = CSharpMetrics.Measure(text, cancellationToken);
        }

        return new FileMetrics(file.BlobSha!, file.Language, lines, csharp);
    }

    /// <summary>Brings search's copy of the default branch to this commit: changed paths only.</summary>
    public async Task<string> UpdateSearchAsync(Guid projectId, string commitSha, string gitRef, CancellationToken cancellationToken)
    {
        if (await store.RefHeadAsync(projectId, gitRef, cancellationToken) != commitSha)
        {
            return "search left as it is (the branch has moved on)";
        }

        var tree = (await store.TreeAsync(projectId, commitSha, cancellationToken)).Where(f => f.Kind != "submodule").ToList();
        var known = await store.SearchEntriesAsync(projectId, cancellationToken);
        var current = tree.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var deletes = known.Keys.Where(p => !current.Contains(p)).ToList();
        var changed = tree.Where(f => !known.TryGetValue(f.Path, out var blob) || blob != f.BlobSha).ToList();
        using var reader = await OpenMirrorAsync(projectId, commitSha, cancellationToken);
        var first = true;
        foreach (var chunk in changed.Chunk(Batch))
        {
            var upserts = chunk.Select(f => new SearchFile(f.Path, f.BlobSha!, f.Language, f.IsBinary || f.Size > options.MaxAnalysedBytes ? null : Text(reader.ReadBlob(f.BlobSha!)))).ToList();
            await store.ApplySearchAsync(projectId, upserts, first ? deletes : [], cancellationToken);
            first = false;
        }

        if (first && deletes.Count > 0)
        {
            await store.ApplySearchAsync(projectId, [], deletes, cancellationToken);
        }

        return $"search: {changed.Count} files updated, {deletes.Count} removed";
    }

    /// <summary>Text PostgreSQL can hold: no NUL (text columns refuse it), invalid UTF-8 replaced.</summary>
    private static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes).Replace('\0', ' ');

    private static string KindName(GitEntryKind kind) => kind switch
    {
        GitEntryKind.ExecutableFile => "executable",
        GitEntryKind.Symlink => "symlink",
        GitEntryKind.Submodule => "submodule",
        GitEntryKind.Directory => "directory",
        _ => "file",
    };
}
