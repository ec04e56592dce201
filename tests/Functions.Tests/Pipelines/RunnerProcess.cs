using System.Diagnostics;
using System.Text;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>A real DevMentor.Runner process pointed at a service.</summary>
internal sealed class RunnerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private RunnerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

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

    public bool HasExited => _process.HasExited;

    public int ProcessId => _process.Id;

    public static string ExecutablePath
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var root = ServiceProcess.FindRepositoryRoot(AppContext.BaseDirectory);
            var path = Path.Combine(root, "src", "Runner", "bin", configuration, "net10.0", "DevMentor.Runner.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build src/Runner first: {path} is missing.");
        }
    }

    /// <param name="settings">More command-line settings, e.g. <c>--Registry:Url=…</c>.</param>
    public static RunnerProcess Start(Uri server, string registrationToken, string name, string workDirectory, int workers = 1, params string[] settings)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            ExecutablePath,
            $"--Runner:Server={server}",
            $"--Runner:RegistrationToken={registrationToken}",
            $"--Runner:Name={name}",
            $"--Runner:Workers={workers}",
            $"--Runner:WorkDirectory={workDirectory}",
            "--Runner:HeartbeatSeconds=0.5",
            ..settings,
        ];
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return new RunnerProcess(Process.Start(startInfo)!);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Posix.SendSignal(_process.Id, Posix.SigTerm);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
