using DevMentor.Core.Builds.Git;

namespace DevMentor.Core.Tests.Builds;

public sealed class GitRemoteTests
{
    [Theory]
    [InlineData("https://github.com/org/repo.git", "https://github.com/org/repo.git", "https://github.com/org/repo.git", "https")]
    [InlineData("file:///srv/repo.git", "file:///srv/repo.git", "file:///srv/repo.git", "file")]
    [InlineData("/srv/repo.git", "file:///srv/repo.git", "file:///srv/repo.git", "file")]
    [InlineData("git://127.0.0.1:9418/repo", "git://127.0.0.1:9418/repo", "git://127.0.0.1:9418/repo", "git")]
    [InlineData("ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git", "ssh://github.com/org/repo.git", "ssh")]
    [InlineData("ssh://git:pw@host:2222/r.git", "ssh://git@host:2222/r.git", "ssh://host:2222/r.git", "ssh")]
    [InlineData("git@github.com:org/repo.git", "git@github.com:org/repo.git", "github.com:org/repo.git", "ssh")]
    public void Splits_what_git_gets_from_what_is_logged(string input, string url, string display, string transport)
    {
        var remote = GitRemote.Parse(input);
        Assert.Equal((url, display, transport), (remote.Url, remote.DisplayUrl, remote.Transport));
        Assert.Null(remote.EmbeddedCredentials);
    }

    [Fact]
    public void Http_userinfo_becomes_credentials_and_leaves_both_urls()
    {
        var remote = GitRemote.Parse("https://bob:s%40cret@git.example.com/r.git");
        Assert.Equal("https://git.example.com/r.git", remote.Url);
        Assert.Equal("https://git.example.com/r.git", remote.DisplayUrl);
        Assert.Equal(new GitCredentials("bob", "s@cret"), remote.EmbeddedCredentials);
        Assert.DoesNotContain("s@cret", remote.EmbeddedCredentials!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_lone_token_in_the_user_part_is_a_token()
    {
        var remote = GitRemote.Parse("https://ghp_abc123@github.com/o/r.git");
        Assert.Equal("ghp_abc123", remote.EmbeddedCredentials!.Secret);
        Assert.Equal("x-access-token", remote.EmbeddedCredentials.EffectiveUsername);
    }

    [Theory]
    [InlineData("")]
    [InlineData("--upload-pack=touch /tmp/pwned")]
    [InlineData("ext::sh -c touch% /tmp/pwned")]
    [InlineData("fd::17")]
    [InlineData("ftp://example.com/r.git")]
    [InlineData("https://example.com/r .git")]
    [InlineData("https://example.com/r\n.git")]
    [InlineData("relative/path")]
    public void Refuses_unsupported_or_dangerous_urls(string input)
    {
        var error = Assert.Throws<GitCheckoutException>(() => GitRemote.Parse(input));
        Assert.Equal(GitCheckoutFailure.InvalidRequest, error.Failure);
        Assert.False(error.InfrastructureFailure);
    }

    [Theory]
    [InlineData("fatal: unable to access 'https://h/r.git/': Could not resolve host: h", GitCheckoutFailure.Network)]
    [InlineData("fatal: unable to access 'http://127.0.0.1:1/r/': Failed to connect to 127.0.0.1 port 1: Connection refused", GitCheckoutFailure.Network)]
    [InlineData("fatal: the remote end hung up unexpectedly", GitCheckoutFailure.Network)]
    [InlineData("fatal: Authentication failed for 'http://127.0.0.1/r/'", GitCheckoutFailure.AuthenticationFailed)]
    [InlineData("fatal: could not read Username for 'https://github.com': terminal prompts disabled", GitCheckoutFailure.AuthenticationFailed)]
    [InlineData("git@github.com: Permission denied (publickey).", GitCheckoutFailure.AuthenticationFailed)]
    [InlineData("fatal: '/tmp/x' does not appear to be a git repository", GitCheckoutFailure.RepositoryNotFound)]
    [InlineData("remote: Repository not found.\nfatal: repository 'https://github.com/o/r.git/' not found", GitCheckoutFailure.RepositoryNotFound)]
    public void Classifies_git_errors(string stderr, GitCheckoutFailure failure) => Assert.Equal(failure, GitCheckout.Classify(stderr));
}
