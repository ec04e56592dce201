using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Deployments;

/// <summary>
/// The local releases' processes in this instance: started without a shell, their output appended
/// to a capped log file beside the release, stopped with their whole process tree.
/// </summary>
public sealed partial class LocalReleases(DeploymentOptions options, ILogger<LocalReleases> logger) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, Process> _processes = new();
    private readonly ConcurrentDictionary<Guid, Action> _cleanups = new();

    /// <param name="cleanup">Run after the process is stopped (an image release removes its container).</param>
    /// <returns>The process id.</returns>
    /// <exception cref="FileNotFoundException">The program cannot be started.</exception>
    public int Start(Guid deploymentId, string directory, IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, Action? cleanup = null)
    {
        var program = argv[0].Contains('/', StringComparison.Ordinal) && !Path.IsPathRooted(argv[0]) ? Path.Combine(directory, argv[0]) : argv[0];
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in argv.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var log = new ReleaseLog(directory + ".log", options.MaxReleaseLogBytes);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => log.Write(e.Data);
        process.ErrorDataReceived += (_, e) => log.Write(e.Data);
        process.Exited += (_, _) => log.Dispose();
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            log.Dispose();
            cleanup?.Invoke();
            throw new FileNotFoundException($"'{argv[0]}' could not be started: {e.Message}", argv[0], e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes[deploymentId] = process;
        if (cleanup is not null)
        {
            _cleanups[deploymentId] = cleanup;
        }

        LogStarted(logger, deploymentId, process.Id);
        return process.Id;
    }

    /// <summary>The exit code when the release's process has ended; null while it runs (or when it is not ours).</summary>
    public int? ExitCode(Guid deploymentId) =>
        _processes.TryGetValue(deploymentId, out var process) && process.HasExited ? process.ExitCode : null;

    /// <summary>Stops a release: ours by handle; one a crashed instance left behind by its process id, if it still runs in that folder.</summary>
    public void Stop(Guid deploymentId, int? pid = null, string? directory = null)
    {
        if (_processes.TryRemove(deploymentId, out var process))
        {
            Kill(process);
            process.Dispose();
            if (_cleanups.TryRemove(deploymentId, out var cleanup))
            {
                cleanup();
            }

            LogStopped(logger, deploymentId);
            return;
        }

        if (pid is { } orphan && directory is not null && RunsIn(orphan, directory))
        {
            using var left = Process.GetProcessById(orphan);
            Kill(left);
            LogStopped(logger, deploymentId);
        }
    }

    /// <summary>
    /// Stops what still runs in a release folder a crashed instance was deploying (its process id was never recorded):
    /// the deployment starts again there, and its first process must not outlive it, holding a port.
    /// </summary>
    /// <returns>How many processes were stopped.</returns>
    public int StopLeftIn(string directory)
    {
        var stopped = 0;
        if (!Directory.Exists("/proc"))
        {
            return stopped;
        }

        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var pid) && pid != Environment.ProcessId && RunsIn(pid, directory))
            {
                try
                {
                    using var left = Process.GetProcessById(pid);
                    Kill(left);
                    stopped++;
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }

        return stopped;
    }

    public void Dispose()
    {
        foreach (var id in _processes.Keys)
        {
            Stop(id);
        }
    }

    /// <summary>Whether a process id is still the release started in <paramref name="directory"/> (ids are reused).</summary>
    private static bool RunsIn(int pid, string directory)
    {
        try
        {
            var cwd = new FileInfo($"/proc/{pid}/cwd").LinkTarget;
            return cwd is not null && Path.TrimEndingDirectorySeparator(cwd) == Path.TrimEndingDirectorySeparator(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Release of deployment {DeploymentId} started as process {Pid}")]
    private static partial void LogStarted(ILogger logger, Guid deploymentId, int pid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Release of deployment {DeploymentId} stopped")]
    private static partial void LogStopped(ILogger logger, Guid deploymentId);
}
