using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace DevMentor.Functions.Tests.Infrastructure;

/// <summary>
/// A minimal RESP client on its own connection, for tests that administer Redis behind the
/// service's back (lock clients out, look at raw keys) independently of the service's connection.
/// </summary>
public sealed class RawRedisClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private RawRedisClient(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public static async Task<RawRedisClient> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        return new RawRedisClient(client);
    }

    /// <summary>Sends one command; returns a simple/bulk string or integer reply as text, null for a nil reply; throws on an error reply.</summary>
    public async Task<string?> SendAsync(params string[] arguments)
    {
        var command = new StringBuilder().Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            command.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        await _stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()));
        var line = await _reader.ReadLineAsync() ?? throw new IOException("Redis closed the connection.");
        switch (line[0])
        {
            case '+':
            case ':':
                return line[1..];
            case '-':
                throw new InvalidOperationException($"Redis: {line[1..]}");
            case '$':
                var length = int.Parse(line[1..], CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                var buffer = new char[length];
                await _reader.ReadBlockAsync(buffer, 0, length);
                await _reader.ReadLineAsync();
                return new string(buffer);
            default:
                throw new InvalidOperationException($"Unexpected Redis reply '{line}'.");
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
