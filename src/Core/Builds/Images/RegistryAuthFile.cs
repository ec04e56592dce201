using System.Text;
using System.Text.Json;

namespace DevMentor.Core.Builds.Images;

/// <summary>
/// A containers-auth.json for one push, in a private (0700) temp folder, deleted on dispose: the
/// credentials reach buildah through <c>--authfile</c>, never on a command line or in a log.
/// </summary>
public sealed class RegistryAuthFile : IDisposable
{
    private readonly string _directory;

    private RegistryAuthFile(string directory, string path)
    {
        _directory = directory;
        Path = path;
    }

    public string Path { get; }

    public static RegistryAuthFile Create(string host, string username, string password)
    {
        var directory = Directory.CreateTempSubdirectory("devmentor-auth-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var path = System.IO.Path.Combine(directory, "auth.json");
        using (var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteStartObject("auths");
            json.WriteStartObject(host);
            json.WriteString("auth", Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password)));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return new RegistryAuthFile(directory, path);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The folder is private to this user; the OS temp cleaner takes it if we cannot.
        }
    }
}
