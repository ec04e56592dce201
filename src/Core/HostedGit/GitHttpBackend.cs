using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.HostedGit;

/// <summary>One smart-HTTP request as <c>git http-backend</c> sees it (RFC 3875 CGI variables).</summary>
/// <param name="PathInfo">/{repository directory}/{info/refs | git-upload-pack | git-receive-pack}, already validated.</param>
/// <param name="ContentLength">Null for a chunked body: http-backend then reads its input to the end.</param>
/// <param name="AllowPush">Sets http.receivepack for this invocation; the caller's role decided it.</param>
public sealed record CgiRequest(
    string Method, string PathInfo, string QueryString, string? ContentType, long? ContentLength, string? ContentEncoding, string? GitProtocol,
    string RemoteUser, string? RemoteAddress, bool AllowPush);

/// <summary>The status and headers http-backend printed, given before its body is streamed.</summary>
public delegate Task<Stream> CgiResponseStart(int status, IReadOnlyList<KeyValuePair<string, string>> headers);

/// <summary>
/// Runs the real <c>git http-backend</c> as a CGI child process per request. Hand-written because no
/// .NET library runs CGI programs (ASP.NET Core has no CGI module); it is the plumbing of RFC 3875 only:
/// the environment in, the request body streamed to stdin while stdout is read, the CGI header block
/// parsed, the rest streamed to the client. Nothing is buffered whole, so a pack of any size passes
/// through in constant memory. The child gets a clean environment: none of the service's settings
/// (connection strings, keys) reach git or anything it runs.
/// </summary>
public sealed partial class GitHttpBackend(HostedGitOptions options, ILogger<GitHttpBackend> logger)
{
    private const int MaxHeaderBytes = 64 * 1024;

    /// <returns>The child's exit code (0 on success).</returns>
    public async Task<int> RunAsync(CgiRequest request, Stream requestBody, CgiResponseStart start, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(options.GitPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add($"http.receivepack={(request.AllowPush ? "true" : "false")}");
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("http.uploadpack=true");
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add("http.getanyfile=false");
        startInfo.ArgumentList.Add("http-backend");

        var environment = startInfo.Environment;
        environment.Clear();
        environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        environment["HOME"] = options.Directory;
        environment["LANG"] = "C";
        environment["GIT_CONFIG_NOSYSTEM"] = "1";
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        environment["GIT_PROJECT_ROOT"] = options.Directory;
        environment["GIT_HTTP_EXPORT_ALL"] = "1";
        environment["GATEWAY_INTERFACE"] = "CGI/1.1";
        environment["SERVER_PROTOCOL"] = "HTTP/1.1";
        environment["REQUEST_METHOD"] = request.Method;
        environment["PATH_INFO"] = request.PathInfo;
        environment["QUERY_STRING"] = request.QueryString;
        environment["REMOTE_USER"] = request.RemoteUser;
        environment["REMOTE_ADDR"] = request.RemoteAddress ?? "";
        if (request.ContentType is { } contentType)
        {
            environment["CONTENT_TYPE"] = contentType;
        }

        if (request.ContentLength is { } length)
        {
            environment["CONTENT_LENGTH"] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (request.ContentEncoding is { } encoding)
        {
            environment["HTTP_CONTENT_ENCODING"] = encoding;
        }

        if (request.GitProtocol is { } protocol)
        {
            environment["GIT_PROTOCOL"] = protocol;
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException("git http-backend did not start.");
        using var kill = cancellationToken.Register(() => Kill(process));
        var errors = ReadErrorsAsync(process.StandardError);
        var feed = FeedAsync(requestBody, process.StandardInput.BaseStream, cancellationToken);
        try
        {
            var stdout = process.StandardOutput.BaseStream;
            var (status, headers, rest) = await ReadHeaderBlockAsync(stdout, cancellationToken);
            var body = await start(status, headers);
            if (rest.Length > 0)
            {
                await body.WriteAsync(rest, cancellationToken);
            }

            await stdout.CopyToAsync(body, 64 * 1024, cancellationToken);
            await feed;
            await process.WaitForExitAsync(cancellationToken);
        }
        catch
        {
            Kill(process);
            throw;
        }

        var stderr = await errors;
        if (process.ExitCode != 0 || stderr.Length > 0)
        {
            LogBackend(logger, request.Method, request.PathInfo, process.ExitCode, stderr);
        }

        return process.ExitCode;
    }

    private static async Task FeedAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, 64 * 1024, cancellationToken);
        }
        catch (IOException)
        {
            // The child stopped reading (it answered an error early); what it printed is the answer.
        }
        finally
        {
            try
            {
                await to.DisposeAsync();
            }
            catch (IOException)
            {
                // Broken pipe on close: same as above.
            }
        }
    }

    private static async Task<string> ReadErrorsAsync(StreamReader reader)
    {
        var text = await reader.ReadToEndAsync();
        return text.Length > 2000 ? text[..2000] + "…" : text.Trim();
    }

    /// <summary>Reads the CGI header block (lines up to an empty one, CRLF or LF); returns what followed it in the same reads.</summary>
    internal static async Task<(int Status, List<KeyValuePair<string, string>> Headers, ReadOnlyMemory<byte> Remainder)> ReadHeaderBlockAsync(Stream stdout, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var filled = 0;
        while (true)
        {
            if (HeaderEnd(buffer.AsSpan(0, filled)) is var (end, bodyStart) && end >= 0)
            {
                var (status, headers) = ParseHeaders(Encoding.Latin1.GetString(buffer, 0, end));
                return (status, headers, buffer.AsMemory(bodyStart, filled - bodyStart));
            }

            if (filled == buffer.Length)
            {
                if (buffer.Length >= MaxHeaderBytes)
                {
                    throw new InvalidDataException("git http-backend printed no end of its CGI headers.");
                }

                Array.Resize(ref buffer, buffer.Length * 2);
            }

            var read = await stdout.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
            {
                // Output ended inside the header block: the child failed before answering.
                return (500, [], ReadOnlyMemory<byte>.Empty);
            }

            filled += read;
        }
    }

    private static (int End, int BodyStart) HeaderEnd(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != '\n')
            {
                continue;
            }

            if (i + 1 < data.Length && data[i + 1] == '\n')
            {
                return (i, i + 2);
            }

            if (i + 2 < data.Length && data[i + 1] == '\r' && data[i + 2] == '\n')
            {
                return (i, i + 3);
            }
        }

        return (-1, 0);
    }

    internal static (int Status, List<KeyValuePair<string, string>> Headers) ParseHeaders(string block)
    {
        var status = 200;
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var raw in block.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                var space = value.IndexOf(' ', StringComparison.Ordinal);
                status = int.TryParse(space < 0 ? value : value[..space], System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : 500;
            }
            else
            {
                headers.Add(new KeyValuePair<string, string>(name, value));
            }
        }

        return (status, headers);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "git http-backend {Method} {PathInfo} exited {ExitCode}: {Errors}")]
    private static partial void LogBackend(ILogger logger, string method, string pathInfo, int exitCode, string errors);
}
