using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// The real DevMentor.Functions executable as a child process, for what an in-memory host cannot
/// show: start-up from nothing, SIGTERM and SIGKILL, the embedded cluster's life across runs.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseAddress = new Uri($"http://127.0.0.1:{port}");
        // No trace context from this process: a test that sends its own traceparent must have it arrive as sent, also
        // while another test's tracer listens to HttpClient here (it would otherwise write its own span's context).
        Client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = DistributedContextPropagator.CreateNoOutputPropagator() })
        {
            BaseAddress = BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

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

    /// <summary>The built executable's dll, found beside this test assembly's configuration.</summary>
    public static string ExecutablePath
    {
        get
        {
            var testBin = AppContext.BaseDirectory; // tests/Functions.Tests/bin/<Config>/net10.0/
            var configuration = new DirectoryInfo(testBin).Parent!.Name;
            var root = FindRepositoryRoot(testBin);
            var path = Path.Combine(root, "src", "Functions", "bin", configuration, "net10.0", "DevMentor.Functions.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"Build src/Functions first: {path} is missing.");
        }
    }

    public static string FindRepositoryRoot(string from)
    {
        for (var directory = new DirectoryInfo(from); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DevMentor.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No DevMentor.Functions.sln above {from}.");
    }

    public static ServiceProcess Start(string workingDirectory, IDictionary<string, string?> environment, params string[] arguments)
    {
        var port = FreePort();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(ExecutablePath);
        startInfo.ArgumentList.Add("--urls");
        startInfo.ArgumentList.Add($"http://127.0.0.1:{port}");

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // Blobs go to a container of this process's own on the shared test Azurite, unless the test
        // names the storage itself (AzureWebJobsStorage set to "" = the embedded Azurite).
        if (!environment.Keys.Any(TestAzurite.NamesStorage))
        {
            // Task.Run: no test synchronization context to block on while the shared Azurite starts.
            startInfo.Environment["AzureWebJobsStorage"] = Task.Run(TestAzurite.SharedAsync).GetAwaiter().GetResult().ConnectionString;
            startInfo.Environment["Blob__Container"] = TestAzurite.NewContainer("svc");
        }

        foreach (var (key, value) in environment)
        {
            startInfo.Environment[key] = value;
        }

        return new ServiceProcess(Process.Start(startInfo)!, port);
    }

    /// <summary>Polls /health until it answers 200; fails with the process output when it does not.</summary>
    public async Task<TimeSpan> WaitUntilHealthyAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The service exited with {_process.ExitCode} before answering:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync("/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return watch.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"/health did not answer 200 within {timeout}:\n{Output}");
    }

    public void Kill() => _process.Kill(entireProcessTree: false); // SIGKILL, the process alone

    public void Terminate() => Posix.SendSignal(_process.Id, Posix.SigTerm);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            Terminate();
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(30));
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
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
