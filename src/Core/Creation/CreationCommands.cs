using System.Diagnostics;
using System.Text;

namespace DevMentor.Core.Creation;

/// <summary>The programs the creation steps run (git, npm, go), configurable so an operator can point at their own.</summary>
/// <param name="WorkDirectory">Scratch space for the steps' working copies (Creation:WorkDirectory; default {data dir}/creation).</param>
/// <param name="PublicBaseUrl">Service:PublicBaseUrl, for absolute clone URLs in the status.</param>
public sealed record CreationOptions(string WorkDirectory, string GitPath = "git", string NpmPath = "npm", string GoPath = "go", TimeSpan? CommandTimeout = null, Uri? PublicBaseUrl = null)
{
    public TimeSpan EffectiveTimeout => CommandTimeout ?? TimeSpan.FromMinutes(10);
}

/// <summary>Runs one program in a directory with a deadline; a non-zero exit is an exception carrying its output's end.</summary>
public static class CreationCommands
{
    public const string AuthorName = "DevMentor";
    public const string AuthorEmail = "devmentor@users.noreply.devmentor.invalid";

    public static async Task<string> RunAsync(string program, string directory, TimeSpan timeout, CancellationToken cancellationToken, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        startInfo.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        startInfo.Environment["GIT_TERMINAL_PROMPT"] = "0";
        startInfo.Environment["GIT_AUTHOR_NAME"] = AuthorName;
        startInfo.Environment["GIT_AUTHOR_EMAIL"] = AuthorEmail;
        startInfo.Environment["GIT_COMMITTER_NAME"] = AuthorName;
        startInfo.Environment["GIT_COMMITTER_EMAIL"] = AuthorEmail;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new InvalidOperationException($"{program} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{program} cannot be run here: {e.Message}", e);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var errors = process.StandardError.ReadToEndAsync(CancellationToken.None);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', arguments)} took longer than {timeout}.");
            }

            if (process.ExitCode != 0)
            {
                var text = ((await errors).Trim() is { Length: > 0 } e ? e : (await output).Trim());
                throw new InvalidOperationException(
                    $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited {process.ExitCode}: {(text.Length > 600 ? "…" + text[^600..] : text)}");
            }

            return (await output).Trim();
        }
    }
}
