using System.Text;

namespace DevMentor.Core.Deployments;

/// <summary>A release's output, appended line by line to a file and cut off (with a notice) at a size cap.</summary>
internal sealed class ReleaseLog(string path, long maxBytes) : IDisposable
{
    private readonly Lock _gate = new();
    private StreamWriter? _writer = new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };

    public void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_writer is null)
            {
                return;
            }

            if (_writer.BaseStream.Length + line.Length >= maxBytes)
            {
                _writer.WriteLine("[devmentor] the release log reached its size limit; further output is dropped");
                _writer.Dispose();
                _writer = null;
                return;
            }

            _writer.WriteLine(line);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }
}
