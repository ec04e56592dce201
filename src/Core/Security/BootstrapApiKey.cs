using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Security;

public sealed record BootstrapApiKeyOptions(string DataDirectory, string? ConfiguredKey)
{
    public const string FileName = "admin.key";
    public const string PrincipalId = "bootstrap-admin";

    public string KeyFile => Path.Combine(DataDirectory, FileName);
}

/// <summary>
/// Makes sure an admin can get in on a fresh installation: on the first start (no bootstrap key in
/// the database) a key is created, printed once on standard output and written to
/// <c>&lt;data dir&gt;/admin.key</c> readable by the service's user only. <c>Auth:BootstrapApiKey</c>
/// sets the key instead. Runs after the database has opened (registration order).
/// </summary>
public sealed partial class BootstrapApiKey(BootstrapApiKeyOptions options, ApiKeyStore keys, ILogger<BootstrapApiKey> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.ConfiguredKey is { } configured)
        {
            await keys.SetBootstrapAsync(configured, BootstrapApiKeyOptions.PrincipalId, cancellationToken);
            LogConfigured(logger);
            return;
        }

        var (key, prefix) = ApiKeySecrets.Generate();
        // The unique index lets exactly one of several instances starting together create it.
        if (!await keys.TryCreateBootstrapAsync(key, prefix, BootstrapApiKeyOptions.PrincipalId, cancellationToken))
        {
            return;
        }

        WriteKeyFile(options.KeyFile, key);
        // Deliberately not through the logger: log pipelines keep and ship lines; this is shown once to whoever started the service.
        await Console.Out.WriteLineAsync($"devmentor: bootstrap admin API key (shown once; also in {options.KeyFile}): {key}");
        await Console.Out.FlushAsync(cancellationToken);
        LogCreated(logger, prefix, options.KeyFile);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static void WriteKeyFile(string path, string key)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Created 0600 from the first byte (no window in which it is world-readable); an older file is replaced.
        File.Delete(path);
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        using var writer = new StreamWriter(stream);
        writer.Write(key + "\n");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created the bootstrap admin API key {Prefix}…; it was printed once and written to {KeyFile}")]
    private static partial void LogCreated(ILogger logger, string prefix, string keyFile);

    [LoggerMessage(Level = LogLevel.Information, Message = "Bootstrap admin API key set from Auth:BootstrapApiKey")]
    private static partial void LogConfigured(ILogger logger);
}
