using Microsoft.Extensions.Caching.Memory;

namespace DevMentor.Core.Caching;

/// <summary>The embedded default: a size-bounded memory cache in this process.</summary>
public sealed class InProcessCache(IMemoryCache memory) : ICache
{
    public Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(memory.TryGetValue(key, out byte[]? value) ? value : null);

    public Task SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        memory.Set(key, value, new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = timeToLive, Size = value.Length });
        return Task.CompletedTask;
    }

    public Task RemoveAsync(string key, CancellationToken cancellationToken)
    {
        memory.Remove(key);
        return Task.CompletedTask;
    }
}
