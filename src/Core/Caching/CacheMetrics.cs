using System.Diagnostics.Metrics;

namespace DevMentor.Core.Caching;

/// <summary>Cache hits and misses, tagged with the cache's name; exported at /metrics.</summary>
public sealed class CacheMetrics
{
    public const string MeterName = "DevMentor.Cache";

    private readonly Counter<long> _hits;
    private readonly Counter<long> _misses;

    public CacheMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _hits = meter.CreateCounter<long>("devmentor.cache.hits", description: "Reads answered from the cache.");
        _misses = meter.CreateCounter<long>("devmentor.cache.misses", description: "Reads that went to the database (absent or outdated entry).");
    }

    public void Hit(string cache) => _hits.Add(1, new KeyValuePair<string, object?>("cache", cache));

    public void Miss(string cache) => _misses.Add(1, new KeyValuePair<string, object?>("cache", cache));
}
