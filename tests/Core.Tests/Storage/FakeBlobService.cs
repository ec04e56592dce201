using System.Net;

namespace DevMentor.Core.Tests.Storage;

/// <summary>An HttpMessageHandler standing in for the Blob service: records each request and answers what the test says.</summary>
internal sealed class FakeBlobService(Func<FakeBlobService.Received, HttpResponseMessage> respond) : HttpMessageHandler
{
    private readonly List<Received> _received = [];

    public IReadOnlyList<Received> Requests
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        long length = 0;
        string? smallBody = null;
        if (request.Content is not null)
        {
            var counter = new CountingStream();
            await request.Content.CopyToAsync(counter, cancellationToken);
            length = counter.Length;
            if (length <= 64 * 1024)
            {
                smallBody = await request.Content.ReadAsStringAsync(cancellationToken);
            }
        }

        var received = new Received(
            request.Method.Method,
            request.RequestUri!,
            request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value)),
            length,
            smallBody);
        lock (_received)
        {
            _received.Add(received);
        }

        return respond(received);
    }

    public static HttpResponseMessage Status(HttpStatusCode status, string? errorCode = null)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent([]) };
        if (errorCode is not null)
        {
            response.Headers.TryAddWithoutValidation("x-ms-error-code", errorCode);
        }

        response.Headers.TryAddWithoutValidation("ETag", "\"0x8D0\"");
        return response;
    }

    internal sealed record Received(string Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, long BodyLength, string? Body)
    {
        public string Header(string name) => Headers.TryGetValue(name, out var value) ? value : "";
    }

    /// <summary>Counts and discards: a 256 MiB upload costs the fake nothing.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            _length += count;
            return Task.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>A non-seekable stream of <c>length</c> bytes of a repeating pattern, made as it is read.</summary>
internal sealed class PatternStream(long length) : Stream
{
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < count; i++)
        {
            buffer[i] = (byte)((_position + i) % 251);
        }

        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
