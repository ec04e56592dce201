using System.Diagnostics;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>The real git command line for fixtures, isolated from the machine's git configuration.</summary>
internal static class GitCli
{
    public static string Run(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_AUTHOR_NAME"] = "DevMentor Tests";
        start.Environment["GIT_AUTHOR_EMAIL"] = "tests@devmentor.invalid";
        start.Environment["GIT_COMMITTER_NAME"] = "DevMentor Tests";
        start.Environment["GIT_COMMITTER_EMAIL"] = "tests@devmentor.invalid";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed in {directory}: {stderr.Result}");
        }

        return stdout.Result.Trim();
    }

    /// <summary>Stages everything and commits; returns the new commit's sha.</summary>
    public static string CommitAll(string directory, string message)
    {
        Run(directory, "add", "-A");
        Run(directory, "commit", "--quiet", "--allow-empty", "-m", message);
        return Run(directory, "rev-parse", "HEAD");
    }
}
