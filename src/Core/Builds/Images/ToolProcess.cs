using System.ComponentModel;
using System.Diagnostics;

namespace DevMentor.Core.Builds.Images;

/// <summary>Runs one program without a shell, its output streamed line by line into a log; the process tree dies on cancel.</summary>
public static class ToolProcess
{
    /// <summary>The program's full path on PATH (or as given when it contains a slash); null when it is not installed.</summary>
    public static string? Resolve(string program, IReadOnlyDictionary<string, string> environment)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? program : null;
        }

        var path = environment.TryGetValue("PATH", out var p) ? p : Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
    }

    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(
        string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new FileNotFoundException($"{program} could not be started: {e.Message}", program, e);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            await process.WaitForExitAsync(CancellationToken.None);
            throw;
        }

        process.WaitForExit(); // drains the redirected output
        return process.ExitCode;
    }

    private static void Write(Action<string> log, string? line)
    {
        if (line is not null)
        {
            log(line);
        }
    }
}
