using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace DevMentor.Functions.Composition;

/// <summary>
/// Durable:* settings of the standalone host's Durable Task backend (DurableTask.AzureStorage on AzureWebJobsStorage).
/// Under the Functions host the same things are host.json's extensions.durableTask. The defaults are tuned for one or
/// a few instances: a killed instance's runs resume within a minute (leases and visibility timeouts of 15-30 s), and an
/// idle hub still picks a new message up within a fifth of a second (the queue polling ceiling).
/// </summary>
/// <param name="TaskHub">Durable:TaskHub; by default "devmentor" plus a hash of the database, so services on one storage
/// account but different databases never run each other's instances, and instances of one service share their hub.</param>
/// <param name="WorkerId">Stable across restarts of one service (its data dir), so a restarted instance takes its partition leases back at once.</param>
public sealed record DurableSettings(
    string TaskHub,
    int PartitionCount,
    TimeSpan MaxPollingInterval,
    TimeSpan LeaseInterval,
    TimeSpan VisibilityTimeout,
    string WorkerId,
    int MaxConcurrentActivities = 100)
{
    public static DurableSettings Load(IConfiguration configuration, ServiceSettings service)
    {
        var problems = new List<string>();
        var hub = configuration["Durable:TaskHub"] is { Length: > 0 } configured ? configured : DefaultHub(service);
        if (hub.Length is < 3 or > 45 || !char.IsAsciiLetter(hub[0]) || !hub.All(char.IsAsciiLetterOrDigit))
        {
            problems.Add($"Durable:TaskHub: '{hub}' is not a task hub name (3 to 45 letters and digits, starting with a letter).");
        }

        var partitions = SettingValues.Int(configuration, "Durable:PartitionCount", 1, 1, 16, problems);
        var polling = SettingValues.Int(configuration, "Durable:MaxPollingIntervalMs", 200, 10, 30_000, problems);
        var lease = SettingValues.Int(configuration, "Durable:LeaseSeconds", 15, 5, 300, problems);
        var visibility = SettingValues.Int(configuration, "Durable:VisibilityTimeoutSeconds", 30, 5, 3600, problems);
        // The backend's default is 10: too few once a queueing activity may wait for its step (ADR 0046), and these
        // activities are short database calls, not CPU work.
        var activities = SettingValues.Int(configuration, "Durable:MaxConcurrentActivities", 100, 1, 1000, problems);
        if (problems.Count > 0)
        {
            throw new InvalidConfigurationException(problems);
        }

        var workerId = $"{Environment.MachineName}-{Hash(Path.GetFullPath(service.DataDirectory))}";
        return new DurableSettings(hub, partitions, TimeSpan.FromMilliseconds(polling), TimeSpan.FromSeconds(lease), TimeSpan.FromSeconds(visibility), workerId, activities);
    }

    private static string DefaultHub(ServiceSettings service)
    {
        if (service.PostgresConnectionString is not { } connectionString)
        {
            return "devmentor"; // the embedded database: one per data dir, and so is the embedded Azurite
        }

        // Host, port and database name: never the password, which would also change the hub when rotated.
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return "devmentor" + Hash($"{builder.Host}:{builder.Port}/{builder.Database}");
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..10];
}
