using System.Net.Sockets;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;

namespace DevMentor.Functions.Durable;

/// <summary>
/// PREVIEW DEPENDENCY: the only place that touches Microsoft.DurableTask.InProcessTestHost (0.2.3-preview.1).
/// The portable Durable Task SDK (worker and client) speaks gRPC to a sidecar; that package's
/// <see cref="TaskHubGrpcServer"/> is such a sidecar over any DurableTask.Core orchestration service, and it is what
/// lets the standalone host run the SDK over DurableTask.AzureStorage in-process. Being a preview, its API may change
/// or go: replacing it means replacing this class only (the worker and client see a <see cref="GrpcChannel"/>).
/// <para>
/// The sidecar listens on a Unix domain socket in a directory only the service's user can open, not on a loopback
/// port: anything that can reach it can start instances and raise events (approve a deployment), and build steps run
/// on this machine (sandboxed as another user, but loopback is shared).
/// </para>
/// </summary>
public sealed class DurableSidecar : IAsyncDisposable
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);
    private readonly string _directory;
    private WebApplication? _host;
    private SafeLifecycleOrchestrationService? _service;

    public DurableSidecar()
    {
        // CreateTempSubdirectory makes the directory 0700 on Unix; a short path keeps under the socket path limit.
        _directory = Directory.CreateTempSubdirectory("devmentor-durable-").FullName;
        SocketPath = Path.Combine(_directory, "sidecar.sock");
        Channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { ConnectCallback = ConnectAsync },
            DisposeHttpClient = true,
        });
    }

    public string SocketPath { get; }

    /// <summary>For the worker and the client; usable before the start (calls wait on the connection's retries).</summary>
    public GrpcChannel Channel { get; }

    public async Task StartAsync(IOrchestrationService service, IOrchestrationServiceClient client, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "DevMentor.DurableSidecar" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
            kestrel.ListenUnixSocket(SocketPath, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.Services.AddRouting();
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 16 * 1024 * 1024);
        _service = new SafeLifecycleOrchestrationService(service, loggerFactory.CreateLogger<DurableSidecar>());
        builder.Services.AddSingleton<IOrchestrationService>(_service);
        builder.Services.AddSingleton(client);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        var host = builder.Build();
        host.UseRouting();
        host.MapGrpcService<TaskHubGrpcServer>();
        await host.StartAsync(cancellationToken);
        _host = host;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_host is { } host)
        {
            _host = null;
            await host.StopAsync(cancellationToken);
            await host.DisposeAsync();
        }

        if (_service is { } service)
        {
            // The host's stopping callback stops the service without being awaited: stop it here, where it is. With
            // storage failing the backend keeps trying to release its partition leases for minutes: a SIGTERM would
            // then wait out the host's whole shutdown deadline (30 s). A healthy stop takes about a second; past
            // StopWait the process leaves, and the leases it could not release expire on their own (Durable:LeaseSeconds).
            _service = null;
            await service.StopAsync(isForced: true).WaitAsync(StopWait, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None);
        Channel.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover empty directory in the temp dir is harmless.
        }
    }

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
