using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using DevMentor.Core.Storage.Account;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Storage.Embedded;

public sealed record EmbeddedAzuriteOptions
{
    /// <summary>The service's data dir; Azurite keeps its files in its <c>azurite</c> folder.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Azurite:Path: the program (or its .js entry point); found in tools/azurite or on PATH when empty.</summary>
    public string? ProgramPath { get; init; }

    /// <summary>Folders above which tools/azurite is looked for: the executable's and the working directory.</summary>
    public IReadOnlyList<string> SearchFrom { get; init; } = [AppContext.BaseDirectory, Directory.GetCurrentDirectory()];

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// The storage every Functions app has (AzureWebJobsStorage), when none is configured: an Azurite
/// the service starts under the data dir on free loopback ports (blob, queue, table), like the
/// embedded PostgreSQL. It runs in its own session, so it outlives a killed service and a Ctrl+C
/// reaches it only through the service's ordered shutdown; its pid and ports go to a state file,
/// and the next start adopts it when that pid is still this Azurite (command line naming this
/// location), or else cleans up and starts a new one. Its files stay, so blobs survive both.
/// Its account's key is not Azurite's public development key but one generated into
/// <c>azurite/account.key</c> (0600) and handed to Azurite through AZURITE_ACCOUNTS (which also
/// disables the well-known key): anything on this machine can reach a loopback port, a build step
/// included, and with the public key it could read and rewrite every artifact and log.
/// </summary>
public sealed partial class EmbeddedAzurite
{
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly ILogger _logger;
    private Process? _child;

    private EmbeddedAzurite(string location, ILogger logger)
    {
        Location = location;
        _logger = logger;
    }

    /// <summary>Where Azurite keeps its files (<c>--location</c>).</summary>
    public string Location { get; }
    public int ProcessId { get; private set; }
    public bool Adopted { get; private set; }
    public AzuriteState State { get; private set; } = new(0, 0, 0, 0);
    public StorageAccount Account { get; private set; } = null!;

    private string StateFile => Path.Combine(Location, "devmentor-azurite.json");
    private string KeyFile => Path.Combine(Location, "account.key");
    private string LogFile => Path.Combine(Location, "azurite.log");

    /// <summary>Whether Azurite can be found, without starting it: null, or the one line that says what to install.</summary>
    public static string? MissingProgram(EmbeddedAzuriteOptions options) =>
        AzuriteProgram.Locate(options.ProgramPath, options.SearchFrom) is not null ? null
            : options.ProgramPath is { Length: > 0 } path ? AzuriteProgram.MissingExplicitPath(path) : AzuriteProgram.InstallHint;

    public static async Task<EmbeddedAzurite> StartAsync(EmbeddedAzuriteOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var program = AzuriteProgram.Locate(options.ProgramPath, options.SearchFrom)
            ?? throw new EmbeddedAzuriteException(MissingProgram(options)!);
        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        var azurite = new EmbeddedAzurite(Path.Combine(dataDirectory, "azurite"), logger);
        Directory.CreateDirectory(azurite.Location);

        // Two processes starting on one data dir take turns, so the second adopts the first's Azurite.
        await using var startLock = await AcquireStartLockAsync(Path.Combine(dataDirectory, "azurite.start.lock"), cancellationToken);
        if (await azurite.TryAdoptAsync(cancellationToken))
        {
            return azurite;
        }

        await azurite.StartNewAsync(program, options.StartTimeout, cancellationToken);
        return azurite;
    }

    /// <summary>SIGTERM (Azurite closes its servers and saves its metadata), SIGKILL if it has not ended within 15 s.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (ProcessId <= 0)
        {
            return;
        }

        Signal(ProcessId, SigTerm);
        var stopped = await WaitForExitAsync(StopTimeout, cancellationToken);
        if (!stopped)
        {
            LogKilled(_logger, ProcessId, StopTimeout.TotalSeconds);
            Signal(ProcessId, SigKill);
            await WaitForExitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }

        File.Delete(StateFile);
        _child?.Dispose();
        LogStopped(_logger, ProcessId, Location);
        ProcessId = 0;
    }

    private async Task<bool> TryAdoptAsync(CancellationToken cancellationToken)
    {
        if (AzuriteStateFile.TryRead(StateFile) is not { } state)
        {
            return false;
        }

        if (!AzuriteStateFile.IsAzuriteServing(state.ProcessId, Location))
        {
            LogStaleState(_logger, state.ProcessId, StateFile);
            File.Delete(StateFile);
            return false;
        }

        Use(state, adopted: true);
        if (await AllPortsAnswerAsync(state, TimeSpan.FromSeconds(15), cancellationToken))
        {
            LogAdopted(_logger, state.ProcessId, state.BlobPort, state.QueuePort, state.TablePort, Location);
            return true;
        }

        // Alive but not answering: stop it, or a second Azurite would share its files.
        LogAdoptFailed(_logger, state.ProcessId);
        await StopAsync(cancellationToken);
        Adopted = false;
        return false;
    }

    private async Task StartNewAsync(AzuriteProgram program, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Exception? lastFailure = null;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var ports = FreeLoopbackPorts(3);
            var state = new AzuriteState(0, ports[0], ports[1], ports[2]);
            var child = Launch(program, state);
            state = state with { ProcessId = child.Id };
            _child = child;
            Use(state, adopted: false);
            try
            {
                if (await AllPortsAnswerAsync(state, timeout, cancellationToken))
                {
                    AzuriteStateFile.Write(StateFile, state);
                    LogStarted(_logger, state.ProcessId, state.BlobPort, state.QueuePort, state.TablePort, Location, program.Origin);
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                await StopAsync(CancellationToken.None); // Ctrl+C while starting: leave nothing running
                throw;
            }

            var log = LastLines(TryRead(LogFile));
            if (!child.HasExited)
            {
                await StopAsync(CancellationToken.None);
            }

            // A port taken between probing and binding makes Azurite exit; other ports usually fix it.
            lastFailure = new EmbeddedAzuriteException(
                $"Azurite ({string.Join(' ', [program.FileName, .. program.Prefix])}) did not start: {(log.Length > 0 ? log : "no output")} (log: {LogFile}).");
        }

        throw lastFailure!;
    }

    /// <summary>
    /// setsid gives Azurite its own session (a terminal's Ctrl+C goes to the service, which stops it
    /// in order); sh only sends its output to the log file and then becomes Azurite (exec), so the
    /// pid is Azurite's. The arguments are passed as "$@", never parsed by the shell.
    /// </summary>
    private Process Launch(AzuriteProgram program, AzuriteState ports)
    {
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = Location,
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        string[] arguments =
        [
            "sh", "-c", "exec \"$@\" >>azurite.log 2>&1", "azurite",
            program.FileName, .. program.Prefix,
            "--blobHost", "127.0.0.1", "--blobPort", Port(ports.BlobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Port(ports.QueuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Port(ports.TablePort),
            "--location", Location,
            "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry",
        ];
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        File.AppendAllText(LogFile, $"--- {DateTimeOffset.UtcNow:O} starting on 127.0.0.1:{ports.BlobPort}/{ports.QueuePort}/{ports.TablePort}\n");
        // The environment, not the command line: /proc/<pid>/cmdline is readable by every user, environ only by its owner.
        info.Environment["AZURITE_ACCOUNTS"] = $"{StorageAccount.DevelopmentAccountName}:{AccountKey()}";
        var process = Process.Start(info) ?? throw new EmbeddedAzuriteException("Azurite could not be started (setsid is missing: apt-get install util-linux).");
        process.StandardInput.Close();
        return process;
    }

    private void Use(AzuriteState state, bool adopted)
    {
        State = state;
        ProcessId = state.ProcessId;
        Adopted = adopted;
        var account = StorageAccount.ForAzurite(state.BlobPort, state.QueuePort, state.TablePort, "", AccountKey());
        Account = account with
        {
            Description = $"embedded Azurite (pid {state.ProcessId}{(adopted ? ", adopted from a previous run" : "")}): blob {account.BlobServiceUri}, " +
                $"queue {account.QueueServiceUri}, table {account.TableServiceUri}; files in {Location}",
        };
    }

    /// <summary>This data dir's account key: generated once (64 random bytes, base64), kept for every later start and adoption.</summary>
    private string AccountKey()
    {
        if (!File.Exists(KeyFile))
        {
            try
            {
                using var created = new FileStream(KeyFile, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
                created.Write(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64))));
                created.Flush(flushToDisk: true);
            }
            catch (IOException) when (File.Exists(KeyFile))
            {
                // Written by a start that got there first: use it.
            }
        }

        return File.ReadAllText(KeyFile).Trim();
    }

    private async Task<bool> AllPortsAnswerAsync(AzuriteState state, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (!IsAlive())
            {
                return false;
            }

            if (await AcceptsAsync(state.BlobPort, cancellationToken) && await AcceptsAsync(state.QueuePort, cancellationToken) && await AcceptsAsync(state.TablePort, cancellationToken))
            {
                return true;
            }

            await Task.Delay(100, cancellationToken);
        }

        return false;
    }

    private bool IsAlive()
    {
        if (_child is { } child && child.Id == ProcessId)
        {
            return !child.HasExited;
        }

        try
        {
            // A zombie (dead, not yet reaped by whoever inherited it) is not alive.
            var stat = File.ReadAllText($"/proc/{ProcessId}/stat");
            return !stat[(stat.LastIndexOf(')') + 1)..].TrimStart().StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (IsAlive())
        {
            if (watch.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(50, cancellationToken);
        }

        return true;
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static void Signal(int processId, int signal)
    {
        if (processId > 0)
        {
            _ = kill(processId, signal); // ESRCH (already gone) is what we want anyway
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private static int[] FreeLoopbackPorts(int count)
    {
        // Held open together so the three differ.
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static string TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string LastLines(string text, int count = 5) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => !l.StartsWith("---", StringComparison.Ordinal)).TakeLast(count));

    private static async Task<FileStream> AcquireStartLockAsync(string path, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded Azurite started (pid {ProcessId}) on 127.0.0.1: blob {BlobPort}, queue {QueuePort}, table {TablePort}; files in {Location}; program from {Origin}")]
    private static partial void LogStarted(ILogger logger, int processId, int blobPort, int queuePort, int tablePort, string location, string origin);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adopted the embedded Azurite left running by an earlier process (pid {ProcessId}, 127.0.0.1: blob {BlobPort}, queue {QueuePort}, table {TablePort}; {Location})")]
    private static partial void LogAdopted(ILogger logger, int processId, int blobPort, int queuePort, int tablePort, string location);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azurite pid {ProcessId} from an earlier run does not answer; stopping it before starting afresh")]
    private static partial void LogAdoptFailed(ILogger logger, int processId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed stale {StateFile}: process {ProcessId} is not this data dir's Azurite (the previous run was killed)")]
    private static partial void LogStaleState(ILogger logger, int processId, string stateFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Azurite pid {ProcessId} did not stop within {Seconds} s of SIGTERM; killed")]
    private static partial void LogKilled(ILogger logger, int processId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded Azurite stopped (pid {ProcessId}, {Location})")]
    private static partial void LogStopped(ILogger logger, int processId, string location);
}
