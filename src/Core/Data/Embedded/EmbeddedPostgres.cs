using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DevMentor.Core.Data.Embedded;

public sealed record EmbeddedPostgresOptions
{
    /// <summary>The service's data dir; the cluster lives in its <c>pg</c> folder.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Where initdb/pg_ctl are; found on PATH or under /usr/lib/postgresql when empty.</summary>
    public string? BinDirectory { get; init; }

    /// <summary>Throwaway test clusters turn fsync off; the service's own cluster never does.</summary>
    public bool Durable { get; init; } = true;

    public string Database { get; init; } = "devmentor";

    /// <summary>A fixed port; 0 picks a free loopback port at each start.</summary>
    public int Port { get; init; }
}

/// <summary>
/// A PostgreSQL cluster under the data dir, created with the machine's own server programs
/// when no connection string is configured. It survives the service being killed: the next
/// start adopts a postmaster that is still running, or clears a stale postmaster.pid, and
/// never starts a second postmaster on the same directory.
/// </summary>
/// <remarks>
/// Every role needs a password (scram-sha-256, also for local connections; a cluster an older
/// version set up with trust is switched over at start). The superuser is used only here, to set
/// up <see cref="ServiceRole"/>: a role without any special right that owns the app database, and
/// the one the service connects as. Both passwords live in the data dir (0600), which build steps
/// never see.
/// </remarks>
public sealed partial class EmbeddedPostgres
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private const string SuperUser = "postgres";

    /// <summary>The role the service connects as: it owns the app database and nothing else.</summary>
    public const string ServiceRole = "devmentor_service";

    private readonly EmbeddedPostgresOptions _options;
    private readonly PostgresBinaries _binaries;
    private readonly ILogger _logger;
    private readonly bool _runAsPostgresUser;

    private EmbeddedPostgres(EmbeddedPostgresOptions options, PostgresBinaries binaries, ILogger logger)
    {
        _options = options;
        _binaries = binaries;
        _logger = logger;
        _runAsPostgresUser = Environment.IsPrivilegedProcess;
        ClusterDirectory = Path.Combine(options.DataDirectory, "pg");
    }

    public string ClusterDirectory { get; }
    public int Port { get; private set; }
    public bool Adopted { get; private set; }
    /// <summary>The service's connection: <see cref="ServiceRole"/> to the app database.</summary>
    public string ConnectionString { get; private set; } = "";

    /// <summary>The superuser's connection to the <c>postgres</c> database, for setting up (the service never uses it).</summary>
    public string AdminConnectionString => BuildConnectionString(Port, File.ReadAllText(PasswordFile).Trim(), "postgres", SuperUser);
    public string BinDirectory => _binaries.Directory;

    private string PasswordFile => Path.Combine(_options.DataDirectory, "pg.password");
    private string ServicePasswordFile => Path.Combine(_options.DataDirectory, "pg.service.password");
    private string HbaFile => Path.Combine(ClusterDirectory, "pg_hba.conf");
    private string PidFile => Path.Combine(ClusterDirectory, "postmaster.pid");
    private string LogFile => Path.Combine(ClusterDirectory, "server.log");

    /// <summary>Creates the cluster when it does not exist, then starts or adopts it.</summary>
    public static async Task<EmbeddedPostgres> StartAsync(EmbeddedPostgresOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var binaries = PostgresBinaries.Locate(options.BinDirectory)
            ?? throw new EmbeddedPostgresException(options.BinDirectory is null
                ? PostgresBinaries.InstallHint
                : PostgresBinaries.MissingInExplicitDirectory(options.BinDirectory));

        var server = new EmbeddedPostgres(options with { DataDirectory = Path.GetFullPath(options.DataDirectory) }, binaries, logger);
        Directory.CreateDirectory(server._options.DataDirectory);

        // Two processes starting on one data dir take turns, so the second adopts the first's postmaster.
        await using var startLock = await AcquireStartLockAsync(Path.Combine(server._options.DataDirectory, "pg.start.lock"), cancellationToken);
        await server.EnsureClusterAsync(cancellationToken);
        await server.StartOrAdoptAsync(cancellationToken);
        await server.RequirePasswordsAsync(cancellationToken);
        await server.EnsureDatabaseAsync(cancellationToken);
        return server;
    }

    /// <summary>Fast shutdown: open transactions roll back, committed data is on disk.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        NpgsqlConnection.ClearAllPools();
        var result = await RunPostgresProgramAsync(_binaries.PgCtl, ["stop", "-D", ClusterDirectory, "-m", "fast", "-w", "-t", "30"], cancellationToken);
        if (result.Succeeded)
        {
            LogStopped(_logger, ClusterDirectory);
        }
        else
        {
            LogStopFailed(_logger, ClusterDirectory, result.Output);
        }
    }

    private async Task EnsureClusterAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(ClusterDirectory, "PG_VERSION")))
        {
            return;
        }

        if (Directory.Exists(ClusterDirectory) && Directory.EnumerateFileSystemEntries(ClusterDirectory).Any())
        {
            throw new EmbeddedPostgresException(
                $"'{ClusterDirectory}' exists but is not a PostgreSQL cluster (no PG_VERSION). Move it away or set DEVMENTOR_DATA_DIR to another directory.");
        }

        LogCreatingCluster(_logger, ClusterDirectory, _binaries.Directory);
        if (_runAsPostgresUser)
        {
            await EnsurePostgresUserCanReachAsync(cancellationToken);
        }

        // initdb writes into a scratch directory that is renamed at the end, so a first run killed
        // half-way leaves nothing that looks like a cluster.
        var scratch = ClusterDirectory + ".initdb";
        if (Directory.Exists(scratch))
        {
            Directory.Delete(scratch, recursive: true);
        }

        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await File.WriteAllTextAsync(PasswordFile, password, cancellationToken);
        File.SetUnixFileMode(PasswordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var passwordForInitDb = Path.Combine(_options.DataDirectory, "pg.initdb-password");
        await File.WriteAllTextAsync(passwordForInitDb, password + "\n", cancellationToken);
        File.SetUnixFileMode(passwordForInitDb, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            Directory.CreateDirectory(scratch);
            if (_runAsPostgresUser)
            {
                await ChangeOwnerToPostgresAsync(scratch, cancellationToken);
                await ChangeOwnerToPostgresAsync(passwordForInitDb, cancellationToken);
            }

            List<string> arguments = ["-D", scratch, "-U", SuperUser, "-A", "scram-sha-256", "--pwfile", passwordForInitDb, "-E", "UTF8", "--locale=C.UTF-8"];
            if (!_options.Durable)
            {
                arguments.Add("--no-sync");
            }

            var result = await RunPostgresProgramAsync(_binaries.InitDb, arguments, cancellationToken);
            if (!result.Succeeded)
            {
                throw new EmbeddedPostgresException($"initdb failed for '{scratch}': {LastLines(result.Output)}");
            }
        }
        finally
        {
            File.Delete(passwordForInitDb);
        }

        // Only TCP on loopback: Unix socket paths have a 107-byte limit that deep data dirs exceed.
        var settings = new List<string>
        {
            "",
            "# DevMentor embedded cluster",
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 300",
            "logging_collector = off",
        };
        if (!_options.Durable)
        {
            settings.AddRange(["fsync = off", "synchronous_commit = off", "full_page_writes = off"]);
        }

        await File.AppendAllLinesAsync(Path.Combine(scratch, "postgresql.conf"), settings, cancellationToken);
        Directory.Move(scratch, ClusterDirectory);
    }

    private async Task StartOrAdoptAsync(CancellationToken cancellationToken)
    {
        ConnectionString = "";
        var password = (await File.ReadAllTextAsync(PasswordFile, cancellationToken)).Trim();

        if (PostmasterPidFile.TryRead(PidFile) is { } pid)
        {
            if (PostmasterPidFile.IsPostgresProcess(pid.ProcessId) && PostmasterPidFile.ServesDirectoryOf(pid.ProcessId, PidFile))
            {
                // A postmaster from a killed run is still serving this directory: use it rather than
                // stopping it, so the restart is fast and its open work is not interrupted.
                var adoptedConnection = BuildConnectionString(pid.Port, password, "postgres");
                if (await WaitUntilAcceptingAsync(adoptedConnection, TimeSpan.FromSeconds(15), cancellationToken))
                {
                    Port = pid.Port;
                    Adopted = true;
                    LogAdopted(_logger, pid.ProcessId, pid.Port, ClusterDirectory);
                    return;
                }

                LogAdoptFailed(_logger, pid.ProcessId);
                await RunPostgresProgramAsync(_binaries.PgCtl, ["stop", "-D", ClusterDirectory, "-m", "immediate", "-w", "-t", "30"], cancellationToken);
            }
            else
            {
                LogStalePidFile(_logger, pid.ProcessId, PidFile);
                File.Delete(PidFile);
            }
        }

        Exception? lastFailure = null;
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var port = _options.Port > 0 ? _options.Port : FreeLoopbackPort();
            var result = await RunPostgresProgramAsync(
                _binaries.PgCtl,
                ["start", "-D", ClusterDirectory, "-l", LogFile, "-w", "-t", "30", "-o", $"-p {port}"],
                cancellationToken);
            if (result.Succeeded)
            {
                Port = port;
                LogStarted(_logger, port, ClusterDirectory);
                return;
            }

            // The port may have been taken between probing and binding; another port usually fixes it.
            lastFailure = new EmbeddedPostgresException($"pg_ctl start failed: {LastLines(result.Output)} (log: {LogFile}: {LastLines(TryReadLog())})");
        }

        throw lastFailure!;
    }

    private static async Task<bool> WaitUntilAcceptingAsync(string connectionString, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false;Timeout=3");
                await connection.OpenAsync(cancellationToken);
                return true;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                await Task.Delay(200, cancellationToken);
            }
        }

        return false;
    }

    private static string BuildConnectionString(int port, string password, string database, string user = SuperUser) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = port,
        Username = user,
        Password = password,
        Database = database,
    }.ConnectionString;

    private async Task EnsurePostgresUserCanReachAsync(CancellationToken cancellationToken)
    {
        var probe = await ExternalCommand.RunAsync("runuser", ["-u", SuperUser, "--", "test", "-x", _options.DataDirectory], CommandTimeout, cancellationToken);
        if (!probe.Succeeded)
        {
            throw new EmbeddedPostgresException(
                $"Running as root, the embedded PostgreSQL runs as the '{SuperUser}' user, which cannot reach '{_options.DataDirectory}' " +
                $"({LastLines(probe.Output)}). Set DEVMENTOR_DATA_DIR to a directory every user can traverse (e.g. under /var/lib or /tmp), or set ConnectionStrings:Postgres.");
        }
    }

    private async Task ChangeOwnerToPostgresAsync(string path, CancellationToken cancellationToken)
    {
        var result = await ExternalCommand.RunAsync("chown", ["-R", $"{SuperUser}:{SuperUser}", path], CommandTimeout, cancellationToken);
        if (!result.Succeeded)
        {
            throw new EmbeddedPostgresException($"chown of '{path}' to the '{SuperUser}' user failed: {result.Output}");
        }
    }

    /// <summary>PostgreSQL refuses to run as root, so as root its programs run as the postgres user.</summary>
    private Task<ExternalCommand.Result> RunPostgresProgramAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        _runAsPostgresUser
            ? ExternalCommand.RunAsync("runuser", ["-u", SuperUser, "--", program, .. arguments], CommandTimeout, cancellationToken)
            : ExternalCommand.RunAsync(program, arguments, CommandTimeout, cancellationToken);

    private string TryReadLog()
    {
        try
        {
            return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string LastLines(string text, int count = 5) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Creating the embedded PostgreSQL cluster in {Directory} with {BinDirectory}")]
    private static partial void LogCreatingCluster(ILogger logger, string directory, string binDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL started on 127.0.0.1:{Port} ({Directory})")]
    private static partial void LogStarted(ILogger logger, int port, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adopted the embedded PostgreSQL left running by an earlier process (pid {ProcessId}, 127.0.0.1:{Port}, {Directory})")]
    private static partial void LogAdopted(ILogger logger, int processId, int port, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL pid {ProcessId} from an earlier run does not accept connections; stopping it before starting afresh")]
    private static partial void LogAdoptFailed(ILogger logger, int processId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removed stale {PidFile}: process {ProcessId} is not this cluster's postmaster (the previous run was killed)")]
    private static partial void LogStalePidFile(ILogger logger, int processId, string pidFile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The embedded PostgreSQL allowed connections without a password (trust in {HbaFile}); every role now needs its password (scram-sha-256)")]
    private static partial void LogTrustRemoved(ILogger logger, string hbaFile);

    [LoggerMessage(Level = LogLevel.Information, Message = "Embedded PostgreSQL stopped ({Directory})")]
    private static partial void LogStopped(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stopping the embedded PostgreSQL in {Directory} failed: {Output}")]
    private static partial void LogStopFailed(ILogger logger, string directory, string output);
}
