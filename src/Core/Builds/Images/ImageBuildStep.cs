using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Builds.Images;

/// <summary>
/// The "image" built-in step: buildah (vfs storage, chroot isolation, no daemon) builds the
/// workspace's Containerfile, tags it with the commit sha, <c>run-N</c> and the config's tags,
/// pushes every tag to <see cref="RegistryOptions.Url"/> and records the digest.
/// With: <c>file</c>, <c>context</c> (workspace-relative), <c>tags</c> (comma-separated).
/// Outputs: <c>image</c> (repository:first tag), <c>digest</c> (sha256:…), <c>tags</c>.
/// </summary>
public sealed partial class ImageBuildStep(RegistryOptions options, ILogger<ImageBuildStep> logger) : IBuiltInStep
{
    public const string StepName = "image";

    public string Name => StepName;

    public async Task<StepResult> RunAsync(BuiltInStepContext context, CancellationToken cancellationToken)
    {
        var with = context.Step.Step.With ?? new Dictionary<string, string>();
        if (options.RepositoryFor(context.Step.ProjectId) is not { } repository)
        {
            return Fail(context, "the image step needs a registry: set Registry:Url");
        }

        if (ToolProcess.Resolve(options.Buildah, context.Environment) is not { } buildah)
        {
            return new StepResult(StepResultKind.Failed, 127,
                Log(context, $"the image step needs buildah ({options.Buildah}), but it is not installed on this runner"));
        }

        var workspace = Path.GetFullPath(context.Workspace);
        if (Inside(workspace, with.GetValueOrDefault("context", ".")) is not { } buildContext || !Directory.Exists(buildContext))
        {
            return Fail(context, $"image: context '{with.GetValueOrDefault("context", ".")}' is not a folder inside the workspace");
        }

        var file = with.TryGetValue("file", out var named)
            ? Inside(workspace, named)
            : new[] { "Containerfile", "Dockerfile" }.Select(f => Path.Combine(buildContext, f)).FirstOrDefault(File.Exists);
        if (file is null || !File.Exists(file))
        {
            return Fail(context, $"image: no Containerfile or Dockerfile ({with.GetValueOrDefault("file", "in the context folder")}) inside the workspace");
        }

        var tags = ImageTags.For(context.Step.Commit, context.Step.RunNumber, with.GetValueOrDefault("tags"));
        var references = tags.Select(t => $"{repository}:{t}").ToList();
        var scratch = Directory.CreateTempSubdirectory("devmentor-image-").FullName;
        // A store of this build's own: the Containerfile's RUN lines can write to it, so no other
        // project's layers are there to tamper with. It goes once the registry has the image.
        var storageRoot = Path.Combine(options.StorageRoot, "builds", $"{context.Step.RunId:N}-{context.Step.Attempt}");
        using var auth = options.Username is { Length: > 0 } user ? RegistryAuthFile.Create(options.Host!, user, options.Password ?? "") : null;
        try
        {
            var storage = new[] { "--root", storageRoot, "--runroot", storageRoot + "-run", "--storage-driver", "vfs" };
            var idFile = Path.Combine(scratch, "image-id");
            // Where FROM images come from: the operator's registries.conf when set (read-only in the sandbox below).
            var mirrors = options.RegistriesConf is { } conf ? new[] { "--registries-conf", conf } : [];
            var build = storage.Concat(mirrors).Concat(["bud", "--isolation", "chroot", "--iidfile", idFile, "-f", file]);
            foreach (var reference in references)
            {
                build = build.Concat(["-t", reference]);
            }

            Log(context, $"[devmentor] building {repository} with buildah: tags {string.Join(", ", tags)}");
            // The build runs the repository's code: in the step sandbox's view (workspace read-only,
            // this build's store), never with the data dir or the registry credentials in reach.
            var exit = context.Sandbox is { } sandbox
                ? await RunSandboxedAsync(sandbox, buildah, build.Append(buildContext).ToList(), [workspace, .. mirrors.Skip(1)], [storageRoot, storageRoot + "-run", scratch], context, workspace, cancellationToken)
                : await RunAsync(buildah, build.Append(buildContext), context, workspace, cancellationToken);
            if (exit != 0)
            {
                return new StepResult(StepResultKind.Failed, exit, Log(context, $"[devmentor] buildah bud exited with code {exit}"));
            }

            string? digest = null;
            foreach (var reference in references)
            {
                var digestFile = Path.Combine(scratch, "digest");
                var push = storage.Concat(["push", "--digestfile", digestFile, $"--tls-verify={(!options.Insecure).ToString().ToLowerInvariant()}"]);
                if (auth is not null)
                {
                    push = push.Concat(["--authfile", auth.Path]);
                }

                Log(context, $"[devmentor] pushing {reference}");
                exit = await RunAsync(buildah, push.Concat([reference, "docker://" + reference]), context, workspace, cancellationToken);
                if (exit != 0)
                {
                    // A registry that cannot be reached is the infrastructure's fault: retried like a lost runner.
                    return new StepResult(StepResultKind.InfrastructureError, exit, Log(context, $"[devmentor] buildah push of {reference} exited with code {exit}"));
                }

                digest ??= (await File.ReadAllTextAsync(digestFile, cancellationToken)).Trim();
            }

            Log(context, $"[devmentor] pushed {references[0]} {digest}");
            LogPushed(logger, references[0], digest ?? "", context.Step.RunId);
            return StepResult.Success(new Dictionary<string, string>
            {
                ["image"] = references[0],
                ["digest"] = digest ?? "",
                ["tags"] = string.Join(',', tags),
            });
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
            foreach (var directory in new[] { storageRoot, storageRoot + "-run" })
            {
                try
                {
                    if (Directory.Exists(directory))
                    {
                        Directory.Delete(directory, recursive: true);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    LogStoreNotDeleted(logger, directory, e.Message);
                }
            }
        }
    }

    private static Task<int> RunSandboxedAsync(StepSandbox sandbox, string buildah, List<string> arguments, string[] readOnly, string[] writable,
        BuiltInStepContext context, string workspace, CancellationToken cancellationToken)
    {
        context.Log("$ buildah " + string.Join(' ', arguments));
        var wrapped = sandbox.WrapTool([buildah, .. arguments], readOnly, writable, workspace);
        return ToolProcess.RunAsync(ToolProcess.Resolve(wrapped[0], context.Environment) ?? wrapped[0], wrapped.Skip(1), context.Environment, workspace, context.Log, cancellationToken);
    }

    private static Task<int> RunAsync(string buildah, IEnumerable<string> arguments, BuiltInStepContext context, string workspace, CancellationToken cancellationToken)
    {
        var list = arguments.ToList();
        context.Log("$ buildah " + string.Join(' ', list));
        return ToolProcess.RunAsync(buildah, list, context.Environment, workspace, context.Log, cancellationToken);
    }

    /// <summary>The absolute path of a workspace-relative one; null when it leaves the workspace.</summary>
    private static string? Inside(string workspace, string relative)
    {
        if (relative.Contains('\0', StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(workspace, relative));
        return full == workspace || full.StartsWith(workspace + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    private static StepResult Fail(BuiltInStepContext context, string message) =>
        new(StepResultKind.Failed, null, Log(context, message));

    private static string Log(BuiltInStepContext context, string message)
    {
        context.Log(message);
        return message;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete the build's image store {Directory}: {Reason}")]
    private static partial void LogStoreNotDeleted(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pushed image {Image} {Digest} for run {RunId}")]
    private static partial void LogPushed(ILogger logger, string image, string digest, Guid runId);
}
