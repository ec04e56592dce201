namespace DevMentor.Core.Builds.Detection;

/// <summary>
/// Answers "is this program on the runner's PATH?" the way execvp would find it. Takes the PATH
/// explicitly so a runner can describe the environment its steps will get, not the service's own.
/// </summary>
public sealed class Toolchains(string? path = null)
{
    private readonly string[] _directories = (path ?? Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(':', StringSplitOptions.RemoveEmptyEntries);

    public static Toolchains FromEnvironment() => new();

    public bool IsAvailable(string program) => Find(program) is not null;

    public string? Find(string program)
    {
        foreach (var directory in _directories)
        {
            var candidate = Path.Combine(directory, program);
            try
            {
                if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                {
                    return candidate;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unreadable PATH entry is skipped, as the shell would.
            }
        }

        return null;
    }
}
