using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Caching;

/// <summary>What the single-node and the cluster Redis tests share: settings, readiness polling, values.</summary>
internal static class RedisTesting
{
    /// <summary>
    /// Generous timeouts: on a loaded machine (parallel tests, other builds) a Redis round trip can
    /// take a while, and a timeout would rightly fall back to in-process counting, which the
    /// sharing tests would read as a failure. The outage tests do not depend on them: a stopped or
    /// locked-out node drops the connection, and the fallback is immediate.
    /// </summary>
    public static Dictionary<string, string?> Settings(string connectionString, string prefix) => new()
    {
        ["ConnectionStrings:Redis"] = connectionString,
        ["Redis:KeyPrefix"] = prefix,
        ["Redis:ConnectTimeoutMs"] = "5000",
        ["Redis:OperationTimeoutMs"] = "5000",
    };

    public static async Task<(HttpStatusCode Status, JsonElement Body)> WaitForReadinessAsync(TestApp app, string expected, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            using var response = await app.Client.GetAsync("/health/ready");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (body.GetProperty("status").GetString() == expected || watch.Elapsed > timeout)
            {
                Assert.True(body.GetProperty("status").GetString() == expected, $"readiness is not {expected} after {timeout}: {body}");
                return (response.StatusCode, body);
            }

            await Task.Delay(200);
        }
    }

    public static string Unique() => "t" + Guid.NewGuid().ToString("N")[..10] + ":";

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string? Text(byte[]? bytes) => bytes is null ? null : Encoding.UTF8.GetString(bytes);
}
