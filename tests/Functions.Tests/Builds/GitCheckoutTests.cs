using DevMentor.Core.Builds.Git;
using Microsoft.Extensions.Logging.Abstractions;

namespace DevMentor.Functions.Tests.Builds;

/// <summary>Real repositories served over file://, smart HTTP (v0 and v2, with and without Basic auth) and git://.</summary>
public sealed class GitServersFixture : IAsyncLifetime
{
    public const string User = "bob";
    public const string Password = "s3cr3t-Pa55word";

    public SampleRepositories Samples { get; } = new();
    public string Served { get; private set; } = "";
    public GitHttpServer HttpV0 { get; private set; } = null!;
    public GitHttpServer HttpV2 { get; private set; } = null!;
    public GitHttpServer HttpAuth { get; private set; } = null!;
    public GitDaemon Daemon { get; private set; } = null!;

    /// <summary>A repository holding a 3 MB incompressible file.</summary>
    public SampleRepository Big { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Served = Path.Combine(Samples.Root, "served");
        Directory.CreateDirectory(Served);
        GitCli.Run(Served, "clone", "--quiet", "--bare", Samples.History.Path, "history.git");
        GitCli.Run(Served, "clone", "--quiet", "--bare", Samples.Node.Path, "node.git");

        var big = Path.Combine(Samples.Root, "big");
        Directory.CreateDirectory(big);
        GitCli.Run(big, "init", "--quiet");
        var bytes = new byte[3 * 1024 * 1024];
        new Random(42).NextBytes(bytes);
        await File.WriteAllBytesAsync(Path.Combine(big, "blob.bin"), bytes);
        Big = new SampleRepository("big", big, "main", [GitCli.CommitAll(big, "big file")]);

        HttpV0 = await GitHttpServer.StartAsync(Served, protocolV2: false);
        HttpV2 = await GitHttpServer.StartAsync(Served, protocolV2: true);
        HttpAuth = await GitHttpServer.StartAsync(Served, protocolV2: true, (User, Password));
        Daemon = await GitDaemon.StartAsync(Served);
    }

    public async Task DisposeAsync()
    {
        await HttpV0.DisposeAsync();
        await HttpV2.DisposeAsync();
        await HttpAuth.DisposeAsync();
        Daemon.Dispose();
        Samples.Dispose();
    }
}

public sealed class GitCheckoutTests(GitServersFixture servers) : IClassFixture<GitServersFixture>, IDisposable
{
    private readonly string _workspaces = Directory.CreateTempSubdirectory("devmentor-clone-").FullName;
    private readonly List<string> _log = [];
    private readonly GitCheckout _git = new(NullLogger<GitCheckout>.Instance);

    private SampleRepository History => servers.Samples.History;

    public void Dispose() => Directory.Delete(_workspaces, recursive: true);

    private string Workspace(string name = "ws") => Path.Combine(_workspaces, name);

    private string LogText => string.Join('\n', _log);

    private Task<GitCheckoutResult> CloneAsync(string url, string? sha, string? branch = null, GitCredentials? credentials = null, GitCloneLimits? limits = null, string workspace = "ws") =>
        _git.CloneAsync(url, sha, branch, Workspace(workspace), credentials, limits ?? GitCloneLimits.Default, line =>
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }, CancellationToken.None);

    private Task<GitCheckoutException> FailAsync(string url, string? sha, string? branch = null, GitCredentials? credentials = null, GitCloneLimits? limits = null) =>
        Assert.ThrowsAsync<GitCheckoutException>(() => CloneAsync(url, sha, branch, credentials, limits));

    private string Head(string workspace = "ws") => GitCli.Run(Workspace(workspace), "rev-parse", "HEAD");

    private int HistoryLength(string workspace = "ws") => int.Parse(GitCli.Run(Workspace(workspace), "rev-list", "--count", "HEAD"), System.Globalization.CultureInfo.InvariantCulture);

    private string File(string relative, string workspace = "ws") => System.IO.File.ReadAllText(Path.Combine(Workspace(workspace), relative)).Trim();

    [Fact]
    public async Task File_url_fetches_an_older_commit_by_sha_at_depth_one()
    {
        var sha = History.Commits[19];

        var result = await CloneAsync(History.FileUrl, sha, "main");

        Assert.Equal(sha, result.CommitSha);
        Assert.Equal(sha, Head());
        Assert.Equal(GitFetchStrategy.Commit, result.Strategy);
        Assert.Equal(1, HistoryLength());
        Assert.Equal("20", File("counter.txt"));
        Assert.True(result.SizeBytes > 0);
        Assert.Contains($"$ git fetch --depth 1 --no-tags --quiet origin {sha}", _log);
    }

    [Fact]
    public async Task Http_v2_fetches_by_sha_too()
    {
        var sha = History.Commits[9];
        var result = await CloneAsync(new Uri(servers.HttpV2.BaseAddress, "history.git").AbsoluteUri, sha);
        Assert.Equal((GitFetchStrategy.Commit, sha, 1), (result.Strategy, Head(), HistoryLength()));
    }

    [Fact]
    public async Task A_v0_server_that_refuses_the_sha_falls_back_to_the_branch_and_deepens()
    {
        var sha = History.Commits[14]; // 15 commits below the tip: depth 1 and 10 are not enough

        var result = await CloneAsync(new Uri(servers.HttpV0.BaseAddress, "history.git").AbsoluteUri, sha, "main");

        Assert.Equal(GitFetchStrategy.BranchDeepened, result.Strategy);
        Assert.Equal(sha, Head());
        Assert.Equal("15", File("counter.txt"));
        Assert.Equal(50, result.Depth);
        Assert.Contains(_log, l => l.Contains("would not send the commit by sha", StringComparison.Ordinal));
        Assert.True(HistoryLength() <= 30);
    }

    [Fact]
    public async Task The_branch_tip_without_a_sha_and_the_default_branch()
    {
        var feature = await CloneAsync(History.FileUrl, null, "feature", workspace: "feature");
        Assert.Equal((servers.Samples.FeatureCommits[^1], GitFetchStrategy.Branch, "feature"), (feature.CommitSha, feature.Strategy, feature.Branch));
        Assert.Equal("feature 2", File("feature.txt", "feature"));

        var main = await CloneAsync(History.FileUrl, null, workspace: "default");
        Assert.Equal((History.HeadSha, "main"), (main.CommitSha, main.Branch));
        Assert.Equal(1, HistoryLength("default"));
    }

    [Fact]
    public async Task The_tip_sha_of_a_branch_is_fetched_as_the_branch()
    {
        var result = await CloneAsync(History.FileUrl, History.HeadSha.ToUpperInvariant(), "main");
        Assert.Equal((GitFetchStrategy.Branch, History.HeadSha), (result.Strategy, result.CommitSha));
    }

    [Fact]
    public async Task An_abbreviated_sha_is_found_through_the_branch()
    {
        var sha = History.Commits[27];
        var result = await CloneAsync(History.FileUrl, sha[..10], "main");
        Assert.Equal(sha, result.CommitSha);
        Assert.Equal(GitFetchStrategy.BranchDeepened, result.Strategy);
    }

    [Fact]
    public async Task A_tag_ref_can_be_checked_out()
    {
        var result = await CloneAsync(History.FileUrl, null, "refs/tags/v1");
        Assert.Equal(History.Commits[4], result.CommitSha);
        Assert.Equal("5", File("counter.txt"));
    }

    [Fact]
    public async Task A_sha_that_does_not_exist_is_a_permanent_failure()
    {
        var error = await FailAsync(History.FileUrl, "0123456789abcdef0123456789abcdef01234567", "main");
        Assert.Equal(GitCheckoutFailure.CommitNotFound, error.Failure);
        Assert.False(error.InfrastructureFailure);
        Assert.Contains("0123456789abcdef0123456789abcdef01234567", error.Message, StringComparison.Ordinal);
        Assert.Contains("main", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_commit_only_on_another_branch_is_not_found_from_main_over_v0()
    {
        var error = await FailAsync(new Uri(servers.HttpV0.BaseAddress, "history.git").AbsoluteUri, servers.Samples.FeatureCommits[0], "main");
        Assert.Equal(GitCheckoutFailure.CommitNotFound, error.Failure);
    }

    [Fact]
    public async Task A_branch_that_does_not_exist()
    {
        var error = await FailAsync(History.FileUrl, null, "no-such-branch");
        Assert.Equal(GitCheckoutFailure.BranchNotFound, error.Failure);
        Assert.False(error.InfrastructureFailure);
    }

    [Fact]
    public async Task A_repository_that_does_not_exist()
    {
        var error = await FailAsync(new Uri(Path.Combine(servers.Samples.Root, "nope")).AbsoluteUri, null);
        Assert.Equal(GitCheckoutFailure.RepositoryNotFound, error.Failure);
        var http = await Assert.ThrowsAsync<GitCheckoutException>(() => CloneAsync(new Uri(servers.HttpV2.BaseAddress, "nope.git").AbsoluteUri, null, workspace: "http"));
        Assert.Equal(GitCheckoutFailure.RepositoryNotFound, http.Failure);
    }

    [Fact]
    public async Task Connection_refused_is_an_infrastructure_failure()
    {
        var error = await FailAsync($"http://127.0.0.1:{GitDaemon.FreePort()}/history.git", History.HeadSha);
        Assert.Equal(GitCheckoutFailure.Network, error.Failure);
        Assert.True(error.InfrastructureFailure);
    }

    [Fact]
    public async Task Credentials_reach_git_through_askpass_and_never_the_log_or_config()
    {
        var url = new Uri(servers.HttpAuth.BaseAddress, "history.git").AbsoluteUri;
        var askpassBefore = AskpassFolders();

        var result = await CloneAsync(url, History.Commits[3], "main", new GitCredentials(GitServersFixture.User, GitServersFixture.Password));

        Assert.Equal(History.Commits[3], result.CommitSha);
        Assert.DoesNotContain(GitServersFixture.Password, LogText, StringComparison.Ordinal);
        Assert.Contains(url, LogText, StringComparison.Ordinal);
        Assert.DoesNotContain(GitServersFixture.Password, System.IO.File.ReadAllText(Path.Combine(Workspace(), ".git", "config")), StringComparison.Ordinal);
        Assert.Equal(askpassBefore, AskpassFolders());
    }

    [Fact]
    public async Task Userinfo_in_an_http_url_is_used_as_credentials_and_stripped_everywhere()
    {
        var clean = new Uri(servers.HttpAuth.BaseAddress, "history.git").AbsoluteUri;
        var withSecret = clean.Replace("http://", $"http://{GitServersFixture.User}:{GitServersFixture.Password}@", StringComparison.Ordinal);

        var result = await CloneAsync(withSecret, null, "main");

        Assert.Equal(clean, result.DisplayUrl);
        Assert.Equal(History.HeadSha, result.CommitSha);
        Assert.DoesNotContain(GitServersFixture.Password, LogText, StringComparison.Ordinal);
        Assert.DoesNotContain($"{GitServersFixture.User}@", LogText, StringComparison.Ordinal);
        var config = System.IO.File.ReadAllText(Path.Combine(Workspace(), ".git", "config"));
        Assert.DoesNotContain(GitServersFixture.Password, config, StringComparison.Ordinal);
        Assert.Contains(clean, config, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_or_missing_credentials_fail_for_good_without_prompting()
    {
        var url = new Uri(servers.HttpAuth.BaseAddress, "history.git").AbsoluteUri;
        var wrong = await FailAsync(url, null, credentials: new GitCredentials(GitServersFixture.User, "wrong-password"));
        Assert.Equal(GitCheckoutFailure.AuthenticationFailed, wrong.Failure);
        Assert.False(wrong.InfrastructureFailure);
        Assert.DoesNotContain("wrong-password", LogText + wrong.Message, StringComparison.Ordinal);

        var none = await Assert.ThrowsAsync<GitCheckoutException>(() => CloneAsync(url, null, workspace: "none"));
        Assert.Equal(GitCheckoutFailure.AuthenticationFailed, none.Failure);
    }

    [Fact]
    public async Task A_token_alone_is_sent_with_the_default_username()
    {
        // The auth server wants bob: a token-only credential (x-access-token) is refused, which proves the username default is applied.
        var url = new Uri(servers.HttpAuth.BaseAddress, "history.git").AbsoluteUri;
        var error = await FailAsync(url, null, credentials: GitCredentials.Token(GitServersFixture.Password));
        Assert.Equal(GitCheckoutFailure.AuthenticationFailed, error.Failure);
        Assert.DoesNotContain(GitServersFixture.Password, LogText + error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Git_daemon_urls_work()
    {
        var result = await CloneAsync($"git://127.0.0.1:{servers.Daemon.Port}/history.git", History.Commits[2], "main");
        Assert.Equal(History.Commits[2], result.CommitSha);
        Assert.Equal(1, HistoryLength());
    }

    [Fact]
    public async Task Ssh_urls_are_passed_to_ssh_and_logged_without_the_user()
    {
        var port = GitDaemon.FreePort(); // nothing listens: ssh fails to connect, as a down server would
        var error = await FailAsync($"ssh://git@127.0.0.1:{port}/history.git", History.HeadSha);

        Assert.True(error.InfrastructureFailure);
        Assert.Contains($"[devmentor] new repository with remote origin ssh://127.0.0.1:{port}/history.git", _log);
        Assert.Contains($"ssh: connect to host 127.0.0.1 port {port}: Connection refused", error.Message, StringComparison.Ordinal);
        Assert.Contains(_log, l => l.Contains("Connection refused", StringComparison.Ordinal));
        Assert.Equal($"ssh://git@127.0.0.1:{port}/history.git", GitCli.Run(Workspace(), "remote", "get-url", "origin"));
    }

    [Fact]
    public async Task A_hanging_server_times_out_and_its_git_processes_are_killed()
    {
        using var silent = new SilentServer();

        var error = await FailAsync($"http://127.0.0.1:{silent.Port}/history.git", History.HeadSha, limits: GitCloneLimits.Default with { Timeout = TimeSpan.FromSeconds(3) });

        Assert.Equal(GitCheckoutFailure.TimedOut, error.Failure);
        Assert.True(error.InfrastructureFailure);
        Assert.Empty(ProcessesMentioning($"127.0.0.1:{silent.Port}"));
    }

    [Fact]
    public async Task Cancel_stops_the_clone_and_its_git_processes()
    {
        using var silent = new SilentServer();
        using var cancel = new CancellationTokenSource();
        var clone = _git.CloneAsync($"http://127.0.0.1:{silent.Port}/history.git", null, null, Workspace(), null, GitCloneLimits.Default, _ => { }, cancel.Token);
        while (ProcessesMentioning($"127.0.0.1:{silent.Port}").Count == 0 && !clone.IsCompleted)
        {
            await Task.Delay(50);
        }

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => clone);
        Assert.Empty(ProcessesMentioning($"127.0.0.1:{silent.Port}"));
    }

    [Fact]
    public async Task A_checkout_above_the_size_limit_is_stopped()
    {
        var error = await FailAsync(servers.Big.FileUrl, servers.Big.HeadSha, limits: GitCloneLimits.Default with { MaxBytes = 1024 * 1024 });
        Assert.Equal(GitCheckoutFailure.SizeLimitExceeded, error.Failure);
        Assert.False(error.InfrastructureFailure);
        Assert.Contains("1048576", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkout_that_would_pass_the_size_limit_is_refused_before_a_file_is_written()
    {
        // 4 MiB that compress to almost nothing: the fetch stays small, the working tree would not.
        var source = Path.Combine(_workspaces, "compressible");
        Directory.CreateDirectory(source);
        GitCli.Run(source, "init", "--quiet");
        await System.IO.File.WriteAllTextAsync(Path.Combine(source, "zeros.txt"), new string('0', 4 * 1024 * 1024));
        var sha = GitCli.CommitAll(source, "compresses well");

        var error = await FailAsync(new Uri(source).AbsoluteUri, sha, limits: GitCloneLimits.Default with { MaxBytes = 1024 * 1024 });

        Assert.Equal(GitCheckoutFailure.SizeLimitExceeded, error.Failure);
        Assert.Contains("nothing was written", error.Message, StringComparison.Ordinal);
        Assert.False(System.IO.File.Exists(Path.Combine(Workspace(), "zeros.txt")));
    }

    [Fact]
    public async Task The_working_tree_keeps_executable_bits_and_symlinks_and_git_finds_it_clean()
    {
        var source = Path.Combine(_workspaces, "modes");
        Directory.CreateDirectory(Path.Combine(source, "scripts"));
        GitCli.Run(source, "init", "--quiet");
        await System.IO.File.WriteAllTextAsync(Path.Combine(source, "scripts", "build.sh"), "#!/bin/sh\necho built\n");
        System.IO.File.SetUnixFileMode(Path.Combine(source, "scripts", "build.sh"), (UnixFileMode)0b111_101_101);
        await System.IO.File.WriteAllTextAsync(Path.Combine(source, "README.md"), "modes\n");
        System.IO.File.CreateSymbolicLink(Path.Combine(source, "build"), "scripts/build.sh");
        var sha = GitCli.CommitAll(source, "modes");

        var result = await CloneAsync(new Uri(source).AbsoluteUri, sha);

        Assert.Equal(sha, result.CommitSha);
        Assert.True(System.IO.File.GetUnixFileMode(Path.Combine(Workspace(), "scripts", "build.sh")).HasFlag(UnixFileMode.UserExecute));
        Assert.False(System.IO.File.GetUnixFileMode(Path.Combine(Workspace(), "README.md")).HasFlag(UnixFileMode.UserExecute));
        Assert.Equal("scripts/build.sh", new FileInfo(Path.Combine(Workspace(), "build")).LinkTarget);
        Assert.Equal("", GitCli.Run(Workspace(), "status", "--porcelain"));
        Assert.Equal(sha, Head());
    }

    [Fact]
    public async Task A_workspace_that_is_not_empty_is_refused()
    {
        Directory.CreateDirectory(Workspace());
        await System.IO.File.WriteAllTextAsync(Path.Combine(Workspace(), "leftover"), "x");
        var error = await FailAsync(History.FileUrl, null);
        Assert.Equal(GitCheckoutFailure.InvalidRequest, error.Failure);
    }

    [Theory]
    [InlineData("not-a-sha", null)]
    [InlineData(null, "-upload-pack=x")]
    [InlineData(null, "bad..ref")]
    public async Task Bad_shas_and_branch_names_are_refused_before_git_runs(string? sha, string? branch)
    {
        var error = await FailAsync(History.FileUrl, sha, branch);
        Assert.Equal(GitCheckoutFailure.InvalidRequest, error.Failure);
        Assert.False(System.IO.File.Exists(Path.Combine(Workspace(), ".git", "config")));
    }

    /// <summary>The askpass helper lives in a temp folder for the clone only.</summary>
    private static string[] AskpassFolders() => Directory.GetDirectories(Path.GetTempPath(), "devmentor-askpass-*").Order(StringComparer.Ordinal).ToArray();

    private static List<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var cmdline = System.IO.File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains(text, StringComparison.Ordinal) && !System.IO.File.ReadAllText(Path.Combine(dir, "stat")).Contains(") Z ", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }

        return found;
    }
}
