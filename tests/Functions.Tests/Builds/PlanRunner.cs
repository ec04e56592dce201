using System.Diagnostics;
using System.Text;
using DevMentor.Core.Builds;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>
/// Runs a planned step's argv commands the way the pipeline does: no shell, in the workspace,
/// with a small environment plus the step's own variables. Stops at the first failing command.
/// </summary>
internal static class PlanRunner
{
    public sealed record Outcome(int ExitCode, string Output);

    public static async Task<Outcome> RunAsync(PlannedStep step, string workspace, TimeSpan timeout)
    {
        var output = new StringBuilder();
        foreach (var argv in step.Commands)
        {
            var start = new ProcessStartInfo(argv[0])
            {
                WorkingDirectory = workspace,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var arg in argv.Skip(1))
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment.Clear();
            foreach (var name in new[] { "PATH", "HOME", "DOTNET_ROOT", "TMPDIR" })
            {
                if (Environment.GetEnvironmentVariable(name) is { } value)
                {
                    start.Environment[name] = value;
                }
            }

            start.Environment["CI"] = "true";
            foreach (var (name, value) in step.Env ?? new Dictionary<string, string>())
            {
                start.Environment[name] = value;
            }

            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => Append(output, e.Data);
            process.ErrorDataReceived += (_, e) => Append(output, e.Data);
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var limit = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{string.Join(' ', argv)} did not finish within {timeout}:\n{output}");
            }

            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                return new Outcome(process.ExitCode, output.ToString());
            }
        }

        return new Outcome(0, output.ToString());
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
