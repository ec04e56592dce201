using LibGit2Sharp;

namespace DevMentor.Core.Git;

/// <summary>
/// LibGit2Sharp's process-wide settings, applied once before the first repository is opened: no
/// system, global or XDG git configuration is read, so the machine's ~/.gitconfig (an autocrlf, a
/// url rewrite) cannot change what a checkout writes or a reader sees. The git command line gets
/// the same isolation from GIT_CONFIG_NOSYSTEM and GIT_CONFIG_GLOBAL=/dev/null.
/// </summary>
public static class LibGit2Settings
{
    private static readonly Lazy<bool> Applied = new(() =>
    {
        foreach (var level in new[] { ConfigurationLevel.System, ConfigurationLevel.Global, ConfigurationLevel.Xdg, ConfigurationLevel.ProgramData })
        {
            GlobalSettings.SetConfigSearchPaths(level, "");
        }

        return true;
    });

    public static void EnsureApplied() => _ = Applied.Value;
}
