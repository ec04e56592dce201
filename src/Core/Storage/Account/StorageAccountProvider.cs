namespace DevMentor.Core.Storage.Account;

/// <summary>
/// Hands out the storage account once it is known. A configured account is known at composition;
/// the embedded Azurite's only after it has started (its ports are picked then), which the storage
/// start-up hosted service does before anything else uses storage. Clients (the blob store, the
/// Durable Task backend) ask for it on first use, never in a constructor: hosted services are all
/// constructed before the first one starts.
/// </summary>
public sealed class StorageAccountProvider
{
    private readonly TaskCompletionSource<StorageAccount> _account = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StorageAccountProvider()
    {
    }

    public StorageAccountProvider(StorageAccount account) => _account.SetResult(account);

    public bool IsReady => _account.Task.IsCompletedSuccessfully;

    /// <summary>The account; throws when storage has not started yet (a composition-order bug, not a runtime condition).</summary>
    public StorageAccount Current => IsReady
        ? _account.Task.Result
        : throw new InvalidOperationException("The storage account is not known yet: the storage start-up (embedded Azurite) must start before anything uses storage.");

    public Task<StorageAccount> WhenReadyAsync(CancellationToken cancellationToken) => _account.Task.WaitAsync(cancellationToken);

    public void Set(StorageAccount account)
    {
        if (!_account.TrySetResult(account))
        {
            throw new InvalidOperationException("The storage account is already set.");
        }
    }
}
