using System.Globalization;

namespace DevMentor.Core.Data.Embedded;

/// <summary>Reads postmaster.pid: line 1 is the postmaster's pid, line 4 its port.</summary>
internal static class PostmasterPidFile
{
    public sealed record Content(int ProcessId, int Port);

    public static Content? TryRead(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var lines = File.ReadAllLines(path);
            if (lines.Length >= 4 &&
                int.TryParse(lines[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) &&
                int.TryParse(lines[3].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port))
            {
                return new Content(pid, port);
            }

            // Truncated by a crash during start: treat it as stale, with a pid that cannot be alive.
            return new Content(-1, 0);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// False only when the process provably works in another directory. After a reboot or in a
    /// container, a killed run's pid can belong to another cluster's postmaster; adopting it would
    /// fail, and stopping it (pg_ctl signals the pid in the file) would take down that cluster.
    /// A postmaster's working directory is its data directory.
    /// </summary>
    public static bool ServesDirectoryOf(int processId, string pidFilePath)
    {
        try
        {
            var processDirectory = new DirectoryInfo($"/proc/{processId}/cwd").LinkTarget;
            // The kernel's name for the pid file's directory, symlinks resolved, as /proc gives the cwd.
            using var handle = File.OpenHandle(pidFilePath);
            var pidFile = new FileInfo($"/proc/self/fd/{handle.DangerousGetHandle()}").LinkTarget;
            return processDirectory is null || pidFile is null ||
                string.Equals(Path.GetDirectoryName(pidFile), processDirectory, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Unreadable: cannot tell, so treat it as ours; starting a second postmaster on a live one's directory is the worse mistake.
            return true;
        }
    }

    /// <summary>True when the pid is alive and is a postgres process (pids get reused after a reboot or in containers).</summary>
    public static bool IsPostgresProcess(int processId)
    {
        if (processId <= 0)
        {
            return false;
        }

        try
        {
            var commandLine = File.ReadAllText($"/proc/{processId}/cmdline");
            var program = commandLine.Split('\0', 2)[0];
            return Path.GetFileName(program) is "postgres" or "postmaster";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
