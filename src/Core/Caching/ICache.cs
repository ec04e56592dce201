namespace DevMentor.Core.Caching;

/// <summary>
/// The cache port: in-process by default, Redis when ConnectionStrings:Redis is set. Values are
/// opaque bytes (callers serialize with their own source-generated JSON). A cache is an
/// optimisation only: adapters swallow their own outages and behave as a miss.
/// </summary>
public interface ICache
{
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    Task SetAsync(string key, byte[] value, TimeSpan timeToLive, CancellationToken cancellationToken);

    Task RemoveAsync(string key, CancellationToken cancellationToken);
}
