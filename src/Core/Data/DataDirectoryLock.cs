using System.Globalization;

namespace DevMentor.Core.Data;

/// <summary>
/// The data dir belongs to one running service: an exclusive lock (flock, through .NET's
/// FileShare.None on Unix) on <c>service.lock</c>, held for the process lifetime and released by the
/// kernel however the process ends. A second start finds it taken before it touches anything else
/// in the data dir (the embedded cluster, keys, blobs) and names the holder from <c>service.owner</c>,
/// which the holder writes once it has the lock (the lock file itself cannot be read while locked).
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    public const string LockFileName = "service.lock";
    public const string OwnerFileName = "service.owner";

    private readonly FileStream _lock;

    private DataDirectoryLock(FileStream @lock) => _lock = @lock;

    /// <exception cref="DataDirectoryInUseException">Another process holds the data dir.</exception>
    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, LockFileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new DataDirectoryInUseException(dataDirectory, DescribeOwner(dataDirectory));
        }

        var owner = Path.Combine(dataDirectory, OwnerFileName);
        var command = string.Join(' ', Environment.GetCommandLineArgs());
        File.WriteAllText(owner, string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n{command}\n"));
        return new DataDirectoryLock(stream);
    }

    private static string DescribeOwner(string dataDirectory)
    {
        try
        {
            var lines = File.ReadAllLines(Path.Combine(dataDirectory, OwnerFileName));
            if (lines.Length >= 1 && int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                var live = File.Exists($"/proc/{pid}/cmdline") ? File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim() : null;
                return $"process {pid} ({(string.IsNullOrEmpty(live) ? lines.ElementAtOrDefault(1) : live)})";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Named as unknown below.
        }

        return "another process";
    }

    public void Dispose() => _lock.Dispose();
}

public sealed class DataDirectoryInUseException(string dataDirectory, string owner)
    : Exception($"the data dir '{dataDirectory}' is in use by {owner}; stop it first or set DEVMENTOR_DATA_DIR to another directory. Nothing was changed.")
{
    public string Owner { get; } = owner;
}
