using System.Diagnostics;
using System.Text;

namespace DevMentor.Core.Builds.Git;

public sealed partial class GitCheckout
{
    /// <summary>
    /// Runs the git command line for a checkout's network side (ls-remote, fetch; GitCheckout's
    /// summary says why those stay on the command line): a shared deadline, a size watch, an environment
    /// that never prompts and ignores the machine's git config, and credentials only through an
    /// askpass helper's environment.
    /// </summary>
    private sealed class Session : IDisposable
    {
        private const string UserVariable = "DEVMENTOR_GIT_USERNAME";
        private const string SecretVariable = "DEVMENTOR_GIT_PASSWORD";

        // Passed through from the service: what git and ssh need to work, nothing that could hold the service's secrets.
        private static readonly string[] PassThrough = ["PATH", "HOME", "SSH_AUTH_SOCK", "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "TMPDIR"];

        private readonly string _git;
        private readonly GitCredentials? _credentials;
        private readonly Action<string> _log;
        private readonly CancellationToken _cancellation;
        private readonly Stopwatch _elapsed = Stopwatch.StartNew();
        private readonly string? _helperDir;

        public Session(string git, string workspace, GitCredentials? credentials, GitCloneLimits limits, Action<string> log, CancellationToken cancellation)
        {
            _git = git;
            Workspace = workspace;
            _credentials = credentials;
            Limits = limits;
            _log = log;
            _cancellation = cancellation;
            if (credentials is not null)
            {
                // Outside the workspace, so the repository's own build steps never see it.
                _helperDir = Directory.CreateTempSubdirectory("devmentor-askpass-").FullName;
                File.SetUnixFileMode(_helperDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var script = Path.Combine(_helperDir, "askpass.sh");
                File.WriteAllText(script, $"#!/bin/sh\ncase \"$1\" in\n  Username*) printf '%s\\n' \"${UserVariable}\" ;;\n  *) printf '%s\\n' \"${SecretVariable}\" ;;\nesac\n");
                File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }
        }

        public string Workspace { get; }

        public GitCloneLimits Limits { get; }

        /// <summary>Past the deadline, or canceled: in-process work stops at its next check.</summary>
        public bool Stopping => _cancellation.IsCancellationRequested || _elapsed.Elapsed >= Limits.Timeout;

        public void ThrowIfStopping()
        {
            _cancellation.ThrowIfCancellationRequested();
            if (_elapsed.Elapsed >= Limits.Timeout)
            {
                throw TimedOut();
            }
        }

        public sealed record Outcome(int ExitCode, string Output, string Error);

        public void Log(string line) => _log(Redact(line));

        public async Task RunCheckedAsync(IReadOnlyList<string> args, IReadOnlyList<string>? display = null)
        {
            var outcome = await RunAsync(args, display: display);
            if (outcome.ExitCode != 0)
            {
                var failure = Classify(outcome.Error);
                throw new GitCheckoutException(failure, $"git {(display ?? args)[0]} failed: {Redact(outcome.Error.Trim())}");
            }
        }

        /// <param name="quiet">Do not echo the command and its output into the step log (probes whose failure is expected).</param>
        public async Task<Outcome> RunAsync(IReadOnlyList<string> args, bool quiet = false, IReadOnlyList<string>? display = null)
        {
            var remaining = Limits.Timeout - _elapsed.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw TimedOut();
            }

            if (!quiet)
            {
                _log("$ git " + string.Join(' ', display ?? args));
            }

            var startInfo = new ProcessStartInfo(_git)
            {
                WorkingDirectory = Workspace,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            // Config from the command line: no credential helper may store the secret, and no
            // repository-supplied hooks or fsmonitor run during checkout.
            foreach (var arg in new[] { "-c", "credential.helper=", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "protocol.version=2" }.Concat(args))
            {
                startInfo.ArgumentList.Add(arg);
            }

            startInfo.Environment.Clear();
            foreach (var name in PassThrough)
            {
                if (Environment.GetEnvironmentVariable(name) is { } value)
                {
                    startInfo.Environment[name] = value;
                }
            }

            startInfo.Environment["LANG"] = "C";
            startInfo.Environment["LC_ALL"] = "C";
            startInfo.Environment["GIT_TERMINAL_PROMPT"] = "0";
            startInfo.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
            startInfo.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
            startInfo.Environment["GIT_ALLOW_PROTOCOL"] = "file:git:http:https:ssh";
            startInfo.Environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
            if (_credentials is not null && _helperDir is not null)
            {
                startInfo.Environment["GIT_ASKPASS"] = Path.Combine(_helperDir, "askpass.sh");
                startInfo.Environment[UserVariable] = _credentials.EffectiveUsername;
                startInfo.Environment[SecretVariable] = _credentials.Secret;
            }

            using var process = new Process { StartInfo = startInfo };
            var output = new StringBuilder();
            var error = new StringBuilder();
            process.OutputDataReceived += (_, e) => Append(output, e.Data, echo: false);
            process.ErrorDataReceived += (_, e) => Append(error, e.Data, echo: !quiet);
            process.Start();
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(_cancellation);
            limit.CancelAfter(remaining);
            var oversized = false;
            try
            {
                while (!process.HasExited)
                {
                    // Fetch writes the incoming pack into .git as it arrives: watching the workspace
                    // stops a huge repository before it fills the disk, not after.
                    var exited = process.WaitForExitAsync(limit.Token);
                    if (await Task.WhenAny(exited, Task.Delay(250, limit.Token)) == exited)
                    {
                        await exited;
                        break;
                    }

                    if (WorkspaceBytes() > Limits.MaxBytes)
                    {
                        oversized = true;
                        break;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Timed out or canceled: handled below, after the process tree is gone.
            }

            if (!process.HasExited)
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the check and the kill.
                }

                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.WaitForExit(); // drains redirected output
            _cancellation.ThrowIfCancellationRequested();
            if (oversized)
            {
                throw SizeExceeded(WorkspaceBytes());
            }

            if (limit.IsCancellationRequested)
            {
                throw TimedOut();
            }

            lock (output)
            {
                lock (error)
                {
                    return new Outcome(process.ExitCode, output.ToString(), Redact(error.ToString()));
                }
            }
        }

        public long EnsureWithinSize()
        {
            var bytes = WorkspaceBytes();
            return bytes > Limits.MaxBytes ? throw SizeExceeded(bytes) : bytes;
        }

        private GitCheckoutException SizeExceeded(long bytes) =>
            new(GitCheckoutFailure.SizeLimitExceeded, $"the checkout grew past the size limit ({bytes} > {Limits.MaxBytes} bytes) and was stopped.");

        private GitCheckoutException TimedOut() =>
            new(GitCheckoutFailure.TimedOut, $"the clone did not finish within {Limits.Timeout.TotalSeconds:0} s; git was stopped.");

        public long WorkspaceBytes()
        {
            try
            {
                return new DirectoryInfo(Workspace)
                    .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint })
                    .Sum(f =>
                    {
                        try
                        {
                            return f.Length;
                        }
                        catch (IOException)
                        {
                            return 0; // a temporary file git just renamed
                        }
                    });
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return 0;
            }
        }

        private void Append(StringBuilder buffer, string? line, bool echo)
        {
            if (line is null)
            {
                return;
            }

            lock (buffer)
            {
                if (buffer.Length < 1_000_000)
                {
                    buffer.AppendLine(line);
                }
            }

            if (echo)
            {
                _log(Redact(line));
            }
        }

        private string Redact(string text)
        {
            if (_credentials is not { Secret.Length: > 0 } credentials)
            {
                return text;
            }

            return text.Replace(credentials.Secret, "***", StringComparison.Ordinal)
                .Replace(Uri.EscapeDataString(credentials.Secret), "***", StringComparison.Ordinal);
        }

        public void Dispose()
        {
            if (_helperDir is not null)
            {
                try
                {
                    Directory.Delete(_helperDir, recursive: true);
                }
                catch (IOException)
                {
                    // A leftover empty-ish temp folder holds no secret: the script reads it from the environment.
                }
            }
        }
    }
}
