using DevMentor.Core.Storage.Account;
using DevMentor.Core.Storage.Embedded;

namespace DevMentor.Functions.Composition;

/// <summary>
/// AzureWebJobsStorage before anything uses it: a configured account is known already; with none,
/// the embedded Azurite under the data dir is started (or adopted after a crash) and its account
/// handed to <see cref="StorageAccountProvider"/>. Registered before every hosted service that
/// uses storage, so it stops after them (hosted services stop in reverse order). One log line
/// names the account and its endpoints, never a key.
/// </summary>
public sealed partial class StorageStartup(
    ServiceSettings settings,
    StorageAccountProvider provider,
    ILoggerFactory loggerFactory,
    ILogger<StorageStartup> logger) : IHostedService
{
    private EmbeddedAzurite? _embedded;

    /// <summary>What the start would fail on, checked before the host starts (one line for the operator), or null.</summary>
    public static string? MissingPrerequisite(ServiceSettings settings) =>
        settings.UsesEmbeddedAzurite ? EmbeddedAzurite.MissingProgram(Options(settings)) : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.UsesEmbeddedAzurite)
        {
            _embedded = await EmbeddedAzurite.StartAsync(Options(settings), loggerFactory.CreateLogger<EmbeddedAzurite>(), cancellationToken);
            provider.Set(_embedded.Account);
        }

        var account = provider.Current;
        LogStorage(logger, account.Description, settings.Storage.Origin);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_embedded is not null)
        {
            await _embedded.StopAsync(cancellationToken);
        }
    }

    private static EmbeddedAzuriteOptions Options(ServiceSettings settings) => new()
    {
        DataDirectory = settings.DataDirectory,
        ProgramPath = settings.AzuritePath,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage (AzureWebJobsStorage): {Account}; from {Origin}")]
    private static partial void LogStorage(ILogger logger, string account, string origin);
}
