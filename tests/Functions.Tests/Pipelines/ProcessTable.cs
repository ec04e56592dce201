namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>Finds processes by a unique token in their command line (/proc/*/cmdline), ignoring zombies.</summary>
internal static class ProcessTable
{
    public static IReadOnlyList<int> WithArgument(string token)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var arguments = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0');
                if (arguments.Contains(token) && !File.ReadAllText(Path.Combine(directory, "stat")).Contains(") Z ", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // Exited while we looked.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return found;
    }

    public static async Task<IReadOnlyList<int>> WaitForAsync(string token, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var found = WithArgument(token);
            if (found.Count >= count)
            {
                return found;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"No process with argument '{token}' appeared within {timeout}.");
    }

    /// <returns>How long it took until no process carried the token.</returns>
    public static async Task<TimeSpan> WaitUntilGoneAsync(string token, TimeSpan timeout)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (WithArgument(token).Count == 0)
            {
                return watch.Elapsed;
            }

            await Task.Delay(25);
        }

        throw new TimeoutException($"Processes with argument '{token}' still ran after {timeout}: {string.Join(", ", WithArgument(token))}.");
    }

    public static string UniqueSleep(int seconds) => $"{seconds}.{Random.Shared.Next(100_000, 999_999)}";
}
