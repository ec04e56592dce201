using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// A throwaway server (Azurite, redis-server) run as a child of the test process on a free loopback
/// port, its scratch files under <see cref="TestPostgres.ScratchRoot"/>. The kernel kills every one
/// still running when the test process ends, however it ends (see <see cref="DiesWithTheTestProcess"/>);
/// no exit handler is needed, so none delays TestPostgres's. scripts/test.sh sweeps anything left anyway.
/// </summary>
public sealed class ChildServer : IAsyncDisposable
{
    private readonly Func<int, ProcessStartInfo> _startInfo;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private ChildServer(string name, int port, Func<int, ProcessStartInfo> startInfo)
    {
        Name = name;
        Port = port;
        _startInfo = startInfo;
    }

    public string Name { get; }
    public int Port { get; }
    public bool IsRunning => _process is { HasExited: false };

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts a server on a free port and waits until it accepts connections; retries on another port if it loses a race for one.</summary>
    public static async Task<ChildServer> StartAsync(string name, Func<int, ProcessStartInfo> startInfo, TimeSpan timeout)
    {
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var server = new ChildServer(name, FreePort(), startInfo);
            try
            {
                await server.StartAsync(timeout);
                return server;
            }
            catch (InvalidOperationException e)
            {
                last = e;
                await server.DisposeAsync();
            }
        }

        throw last!;
    }

    /// <summary>Starts the server again on the same port (after <see cref="Stop"/>).</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        if (IsRunning)
        {
            return;
        }

        var info = DiesWithTheTestProcess(_startInfo(Port));
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var process = await Launcher.StartAsync(info) ?? throw new InvalidOperationException($"{Name} did not start.");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode} before listening on {Port}:\n{Output}");
            }

            if (await AcceptsConnectionsAsync(Port))
            {
                return;
            }

            await Task.Delay(50);
        }

        Kill();
        throw new InvalidOperationException($"{Name} did not listen on {Port} within {timeout}:\n{Output}");
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open but nothing answers.</summary>
    public void Pause() => Posix.SendSignal(_process!.Id, Posix.SigStop);

    public void Resume() => Posix.SendSignal(_process!.Id, Posix.SigCont);

    /// <summary>Kills the server (SIGKILL: an outage, not a shutdown) and waits until it is gone.</summary>
    public void Stop() => Kill();

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private void Kill()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
        _process = null;
    }

    /// <summary>
    /// Runs the server under <c>setpriv --pdeathsig KILL</c>: the kernel kills it when the thread
    /// that started it dies, which (see <see cref="Launcher"/>) is when the test process dies, even
    /// by SIGKILL or when the test host is torn down before its exit handlers run.
    /// </summary>
    private static ProcessStartInfo DiesWithTheTestProcess(ProcessStartInfo info)
    {
        var wrapped = new ProcessStartInfo("setpriv") { WorkingDirectory = info.WorkingDirectory };
        foreach (var argument in new[] { "--pdeathsig", "KILL", "--", info.FileName }.Concat(info.ArgumentList))
        {
            wrapped.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in info.Environment)
        {
            wrapped.Environment[key] = value;
        }

        return wrapped;
    }

    /// <summary>
    /// Starts every server from one thread that lives as long as the test process: the parent-death
    /// signal fires when the starting thread ends, so a pool thread (which may retire) will not do.
    /// </summary>
    private static class Launcher
    {
        private static readonly System.Collections.Concurrent.BlockingCollection<(ProcessStartInfo Info, TaskCompletionSource<Process?> Started)> Requests = [];

        static Launcher()
        {
            var thread = new Thread(() =>
            {
                foreach (var (info, started) in Requests.GetConsumingEnumerable())
                {
                    try
                    {
                        started.SetResult(Process.Start(info));
                    }
                    catch (Exception e)
                    {
                        started.SetException(e);
                    }
                }
            })
            { IsBackground = true, Name = "test-server-launcher" };
            thread.Start();
        }

        public static Task<Process?> StartAsync(ProcessStartInfo info)
        {
            var started = new TaskCompletionSource<Process?>(TaskCreationOptions.RunContinuationsAsynchronously);
            Requests.Add((info, started));
            return started.Task;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }

    public static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
