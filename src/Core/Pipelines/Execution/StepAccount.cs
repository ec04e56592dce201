using System.Diagnostics;
using System.Globalization;

namespace DevMentor.Core.Pipelines.Execution;

/// <summary>The unprivileged user and group a sandboxed step runs as when the runner is root.</summary>
public sealed record StepAccount(string Name, int UserId, int GroupId)
{
    /// <summary>Created when missing (a system account without a home or a login shell).</summary>
    public const string DefaultName = "devmentor-step";

    /// <summary>
    /// Finds <paramref name="name"/> (a user name, or a numeric uid), creating the default account
    /// when it does not exist. No .NET API reads the user database or adds users, so this asks
    /// <c>id</c> and <c>useradd</c> (both in every Debian base system).
    /// </summary>
    public static StepAccount Resolve(string? name)
    {
        var user = string.IsNullOrWhiteSpace(name) ? DefaultName : name.Trim();
        if (Id("-u", user) is null && user == DefaultName)
        {
            var (code, output) = Run("useradd", "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user);
            if (code != 0 && Id("-u", user) is null)
            {
                throw new InvalidOperationException($"could not create the step user '{user}' with useradd: {output.Trim()}");
            }
        }

        var uid = Id("-u", user) ?? throw new InvalidOperationException($"the step user '{user}' (Pipelines:Runner:StepUser) does not exist");
        var gid = Id("-g", user) ?? uid;
        if (uid == 0 || gid == 0)
        {
            throw new InvalidOperationException($"the step user '{user}' is root; steps must run as an unprivileged user");
        }

        return new StepAccount(user, uid, gid);
    }

    /// <summary>Gives the account the paths it works in; symbolic links are changed, never followed (-h).</summary>
    public void Own(params string[] paths)
    {
        var existing = paths.Where(p => File.Exists(p) || Directory.Exists(p)).ToArray();
        if (existing.Length == 0)
        {
            return;
        }

        var (code, output) = Run("chown", ["-hR", $"{UserId}:{GroupId}", "--", .. existing]);
        if (code != 0)
        {
            throw new IOException($"chown of the step's workspace to {Name} failed: {output.Trim()}");
        }
    }

    private static int? Id(string flag, string user)
    {
        var (code, output) = Run("id", flag, "--", user);
        return code == 0 && int.TryParse(output.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
