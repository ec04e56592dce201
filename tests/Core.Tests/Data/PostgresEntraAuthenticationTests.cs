using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Azure.Core;
using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Tests.Data;

/// <summary>
/// Postgres:AzureIdentity: the password a connection presents is the Entra token for the database
/// scope. A minimal PostgreSQL front end on a free loopback port asks for a cleartext password (as
/// Azure's servers do for Entra logins over TLS) and records what the client sends.
/// </summary>
public sealed class PostgresEntraAuthenticationTests
{
    private sealed class FakeCredential(string token) : TokenCredential
    {
        public List<string> Scopes { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            lock (Scopes)
            {
                Scopes.AddRange(requestContext.Scopes);
            }

            return ValueTask.FromResult(new AccessToken(token, DateTimeOffset.UtcNow.AddHours(1)));
        }
    }

    [Fact]
    public async Task The_connection_presents_the_entra_token_as_its_password()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = CapturePasswordAsync(listener);
        var credential = new FakeCredential("entra-token-for-the-app");
        await using var database = new Database();

        database.Open($"Host=127.0.0.1;Port={port};Database=devmentor;Username=func-app;Ssl Mode=Disable;Pooling=false;Timeout=10", "test", credential);
        // The fake server refuses every login: what matters is what the client sent.
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await database.DataSource.OpenConnectionAsync());

        var (user, password) = await server.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("func-app", user);
        Assert.Equal("entra-token-for-the-app", password);
        Assert.Contains(PostgresEntraAuthentication.Scope, credential.Scopes);
        Assert.All(credential.Scopes, s => Assert.Equal("https://ossrdbms-aad.database.windows.net/.default", s));
    }

    [Fact]
    public async Task A_password_in_the_connection_string_is_refused()
    {
        await using var database = new Database();

        var error = Assert.Throws<ArgumentException>(() =>
            database.Open("Host=127.0.0.1;Database=devmentor;Username=func-app;Password=secret", "test", new FakeCredential("t")));

        Assert.Contains("must not hold a password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_credential_the_connection_string_password_is_used()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = CapturePasswordAsync(listener);
        await using var database = new Database();

        database.Open($"Host=127.0.0.1;Port={port};Database=devmentor;Username=local;Password=plain;Ssl Mode=Disable;Pooling=false;Timeout=10", "test");
        await Assert.ThrowsAnyAsync<NpgsqlException>(async () => await database.DataSource.OpenConnectionAsync());

        Assert.Equal(("local", "plain"), await server.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>Accepts one connection, asks for a cleartext password, records it and refuses the login.</summary>
    private static async Task<(string User, string Password)> CapturePasswordAsync(TcpListener listener)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        Dictionary<string, string> startup;
        while (true)
        {
            var body = await ReadAsync(stream, await ReadInt32Async(stream) - 4);
            var code = BinaryPrimitives.ReadInt32BigEndian(body);
            if (code is 80877103 or 80877104)
            {
                await stream.WriteAsync("N"u8.ToArray()); // no TLS, no GSS encryption: ask again in the clear
                continue;
            }

            var fields = Encoding.UTF8.GetString(body, 4, body.Length - 4).Split('\0');
            startup = Enumerable.Range(0, fields.Length / 2).Where(i => fields[2 * i].Length > 0).ToDictionary(i => fields[2 * i], i => fields[(2 * i) + 1]);
            break;
        }

        await stream.WriteAsync(new byte[] { (byte)'R', 0, 0, 0, 8, 0, 0, 0, 3 }); // AuthenticationCleartextPassword
        Assert.Equal((byte)'p', (await ReadAsync(stream, 1))[0]);
        var password = Encoding.UTF8.GetString(await ReadAsync(stream, await ReadInt32Async(stream) - 4)).TrimEnd('\0');

        var error = Encoding.UTF8.GetBytes("SFATAL\0C28P01\0Mpassword authentication failed (test)\0\0");
        var frame = new byte[5 + error.Length];
        frame[0] = (byte)'E';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), 4 + error.Length);
        error.CopyTo(frame, 5);
        await stream.WriteAsync(frame);
        await stream.FlushAsync();
        // Close only after the client has: closing first could reset the connection before it reads the error.
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await stream.ReadAsync(new byte[256], wait.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
        }

        return (startup["user"], password);
    }

    private static async Task<int> ReadInt32Async(NetworkStream stream) => BinaryPrimitives.ReadInt32BigEndian(await ReadAsync(stream, 4));

    private static async Task<byte[]> ReadAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }
}
