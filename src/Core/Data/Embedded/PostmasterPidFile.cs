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
