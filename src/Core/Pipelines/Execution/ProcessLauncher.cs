using System.Collections.Concurrent;
using System.Diagnostics;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>
/// Starts step processes from one dedicated thread that lives as long as the runner.
/// PR_SET_PDEATHSIG (setpriv --pdeathsig) fires when the <em>thread</em> that forked the child
/// exits, not the process: forking from a thread-pool thread would kill a long step the moment
/// the pool retires that thread. Starting them all from this thread ties them to the process.
/// </summary>
public sealed class ProcessLauncher : IDisposable
{
    private readonly BlockingCollection<(ProcessStartInfo StartInfo, Action<Process> Configure, TaskCompletionSource<Process> Started)> _requests = new();
    private readonly Thread _thread;

    public static ProcessLauncher Shared { get; } = new();

    public ProcessLauncher()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "devmentor-step-launcher" };
        _thread.Start();
    }

    /// <param name="configure">Runs before Start (attach output handlers there).</param>
    public Task<Process> StartAsync(ProcessStartInfo startInfo, Action<Process> configure)
    {
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add((startInfo, configure, started));
        return started.Task;
    }

    private void Loop()
    {
        foreach (var (startInfo, configure, started) in _requests.GetConsumingEnumerable())
        {
            var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
            try
            {
                configure(process);
                process.Start();
                started.SetResult(process);
            }
            catch (Exception e)
            {
                process.Dispose();
                started.SetException(e);
            }
        }
    }

    public void Dispose() => _requests.CompleteAdding();
}
