using DevMentor.Core.Creation;
using DevMentor.Core.Creation.Hosts;
using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Templates;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Creation;

/// <summary>
/// <see cref="GitHubCreationHost"/> alone against the stateful fake GitHub (no database, no app):
/// an organisation's repository, look-ups that make repeated calls create nothing twice, and a
/// commit on top of a branch that moved refused rather than forced.
/// </summary>
public sealed class GitHubCreationHostTests
{
    private const string Token = "ghp_host_test_token";

    private static async Task<(FakeRepositoryHost Host, FakeGitHubRepositories GitHub, GitHubCreationHost Creation)> StartAsync()
    {
        var host = await FakeRepositoryHost.StartAsync();
        var github = new FakeGitHubRepositories();
        host.Handler = github.Handle;
        var options = new GitHubOptions { ApiBaseUrl = host.BaseAddress, Token = Token };
        var api = new GitHubApi(options, new GitHubAppTokens(options, TimeProvider.System));
        return (host, github, new GitHubCreationHost(api, new GitHubRepositoryClient(api, options)));
    }

    [Fact]
    public async Task An_organisation_repository_and_its_hook_are_created_once_however_often_the_step_runs()
    {
        var (host, github, creation) = await StartAsync();
        await using var _ = host;
        var target = new RemoteTarget("acme/service", "a service", IsPrivate: true);
        var hookUrl = new Uri("https://devmentor.example/webhooks/github?project=p");

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal("https://github.example/acme/service", await creation.EnsureRepositoryAsync(target, "main", CancellationToken.None));
            Assert.Equal(100, await creation.EnsureHookAsync(target, hookUrl, $"secret-{i}", CancellationToken.None));
        }

        var create = Assert.Single(host.Calls, c => c.Method == "POST" && c.PathAndQuery.EndsWith("/repos", StringComparison.Ordinal));
        Assert.Equal("/api/v3/orgs/acme/repos", create.PathAndQuery);
        Assert.Contains("\"private\":true", create.Body, StringComparison.Ordinal);
        Assert.Single(host.Calls, c => c.Method == "POST" && c.PathAndQuery.EndsWith("/hooks", StringComparison.Ordinal));
        var rotated = Assert.Single(host.Calls, c => c.Method == "PATCH" && c.PathAndQuery.EndsWith("/hooks/100", StringComparison.Ordinal));
        Assert.Contains("secret-1", rotated.Body, StringComparison.Ordinal);
        Assert.Equal("secret-1", Assert.Single(github.Find("acme/service")!.Hooks)["config"]!["secret"]!.GetValue<string>());

        // auto_init's commit is the placeholder the template's commit replaces; after that the head is real.
        Assert.True((await creation.HeadAsync(target, "main", CancellationToken.None))!.Placeholder);
        var first = await creation.CommitAsync(target, "main", null, [new RenderedFile("a.txt", "a"u8.ToArray())], "template", CancellationToken.None);
        var head = (await creation.HeadAsync(target, "main", CancellationToken.None))!;
        Assert.Equal((first, "template", false), (head.Sha, head.Message, head.Placeholder));
        Assert.All(host.Calls, c => Assert.Contains(Token, c.Headers["Authorization"], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_commit_on_a_parent_that_is_no_longer_the_head_is_refused_not_forced()
    {
        var (host, github, creation) = await StartAsync();
        await using var _ = host;
        var target = new RemoteTarget("octo/moved", "", IsPrivate: false);
        await creation.EnsureRepositoryAsync(target, "main", CancellationToken.None);
        var first = await creation.CommitAsync(target, "main", null, [new RenderedFile("a.txt", "a"u8.ToArray())], "template", CancellationToken.None);
        var second = await creation.CommitAsync(target, "main", first, [new RenderedFile("b.txt", "b"u8.ToArray())], "someone else's", CancellationToken.None);

        var refused = await Assert.ThrowsAsync<GitHubApiException>(() =>
            creation.CommitAsync(target, "main", first, [new RenderedFile("lock", "l"u8.ToArray())], "Lock dependencies (lock)", CancellationToken.None));
        Assert.Equal(422, refused.StatusCode);
        Assert.Contains("moving branch main of octo/moved", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, refused.Message, StringComparison.Ordinal);
        Assert.Equal(second, github.Find("octo/moved")!.Refs["heads/main"]);
        Assert.Equal(["a.txt", "b.txt"], github.FilesAt("octo/moved", "main").Keys.Order(StringComparer.Ordinal));
    }
}
