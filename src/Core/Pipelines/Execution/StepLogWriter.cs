using System.Text;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>
/// Buffers a step's output and ships it in chunks (readable while the step runs), capped at a
/// size after which one truncation notice is written and the rest dropped. Known secrets are
/// replaced by <c>***</c> line by line before anything is buffered, so no chunk boundary can
/// split one past the redaction.
/// </summary>
public sealed class StepLogWriter(IJobSource source, ClaimedStep step, long maxBytes, IReadOnlyList<string>? secrets = null)
{
    public const string Mask = "***";

    /// <summary>Shorter values would mask ordinary words and make every log unreadable.</summary>
    public const int MinSecretLength = 4;

    private readonly string[] _secrets = (secrets ?? [])
        .Where(s => s is { Length: >= MinSecretLength })
        .Distinct(StringComparer.Ordinal)
        .OrderByDescending(s => s.Length)
        .ToArray();

    private readonly StringBuilder _buffer = new();
    private long _written;
    private bool _truncated;

    public void WriteLine(string line)
    {
        // A NUL in a program's output cannot travel in JSON the service accepts: shown as U+FFFD.
        line = Redact(line.Replace('\0', '\uFFFD'));
        lock (_buffer)
        {
            if (_truncated)
            {
                return;
            }

            var size = Encoding.UTF8.GetByteCount(line) + 1;
            if (_written + size > maxBytes)
            {
                _truncated = true;
                _buffer.Append("[devmentor] log truncated at ").Append(maxBytes).Append(" bytes\n");
                return;
            }

            _written += size;
            _buffer.Append(line).Append('\n');
        }
    }

    public string Redact(string text)
    {
        foreach (var secret in _secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }

    /// <summary>Characters per shipped chunk: well under the service's request size limit even as UTF-8.</summary>
    public const int MaxChunkChars = 128 * 1024;

    /// <summary>
    /// Not concurrent with itself: the pump flushes, then the final flush after the pump ended. Text
    /// whose write fails goes back to the front of the buffer, so the next flush sends it (a failed
    /// flush loses nothing; one whose answer was lost may send a chunk twice).
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        string pending;
        lock (_buffer)
        {
            if (_buffer.Length == 0)
            {
                return;
            }

            pending = _buffer.ToString();
            _buffer.Clear();
        }

        for (var offset = 0; offset < pending.Length; offset += MaxChunkChars)
        {
            var length = Math.Min(MaxChunkChars, pending.Length - offset);
            // Never split a surrogate pair across two chunks.
            if (length < pending.Length - offset && char.IsHighSurrogate(pending[offset + length - 1]))
            {
                length--;
            }

            try
            {
                await source.AppendLogAsync(step, pending.Substring(offset, length), cancellationToken);
            }
            catch (Exception)
            {
                // Not sent: it goes back in front of what was written since, for the next flush to send.
                lock (_buffer)
                {
                    _buffer.Insert(0, pending[offset..]);
                }

                throw;
            }

            offset -= MaxChunkChars - length;
        }
    }
}
