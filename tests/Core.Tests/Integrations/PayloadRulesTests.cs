using DevMentor.Core.Integrations.GitHub;
using DevMentor.Core.Integrations.GitLab;
using DevMentor.Core.Integrations.Webhooks;

namespace DevMentor.Core.Tests.Integrations;

public sealed class PayloadRulesTests
{
    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234567", true)]
    [InlineData("0000000000000000000000000000000000000000", true)]  // a created or deleted ref
    [InlineData("0123456789ABCDEF0123456789ABCDEF01234567", true)]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)] // SHA-256 repositories
    [InlineData("0123456789abcdef", false)]
    [InlineData("HEAD", false)]
    [InlineData("0123456789abcdef0123456789abcdef0123456g", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_sha_is_40_or_64_hex_digits(string? value, bool valid)
    {
        Assert.Equal(valid, PayloadRules.Sha("after", value) is null);
    }

    [Theory]
    [InlineData("octo/widgets", false, true)]
    [InlineData("group/sub/project", true, true)]
    [InlineData("group/sub/project", false, false)] // GitHub names have exactly one slash
    [InlineData("widgets", true, false)]
    [InlineData("octo/", false, false)]
    [InlineData("/widgets", false, false)]
    [InlineData("octo/wid gets", false, false)]
    [InlineData("octo/wid\ngets", false, false)]
    [InlineData("", false, false)]
    [InlineData(null, false, false)]
    public void A_repository_name_is_owner_and_name_or_a_gitlab_path(string? value, bool nested, bool valid)
    {
        Assert.Equal(valid, PayloadRules.RepositoryName("repository.full_name", value, nested) is null);
    }

    [Theory]
    [InlineData("refs/heads/main", true)]
    [InlineData("refs/tags/v1.2.0", true)]
    [InlineData("refs/heads/feature/x", true)]
    [InlineData("main", false)]
    [InlineData("refs/heads/a..b", false)]
    [InlineData("refs/heads/x y", false)]
    [InlineData("refs/heads/x~1", false)]
    [InlineData("refs/heads/", false)]
    [InlineData("refs/heads/x.lock", false)]
    [InlineData("", false)]
    public void A_pushed_ref_is_a_full_git_ref(string value, bool valid)
    {
        Assert.Equal(valid, PayloadRules.FullRef("ref", value) is null);
    }

    [Fact]
    public void Reasons_name_the_field_and_bound_the_value_they_quote()
    {
        var reason = PayloadRules.Sha("pull_request.head.sha", new string('z', 10_000))!;

        Assert.StartsWith("pull_request.head.sha 'zzz", reason, StringComparison.Ordinal);
        Assert.True(reason.Length < 200, reason);
        Assert.Equal("issue.number 0 is not a positive number", PayloadRules.Number("issue.number", 0));
        Assert.Null(PayloadRules.Number("number", 7));
        Assert.NotNull(PayloadRules.Number("number", (long)int.MaxValue + 1));
    }

    [Fact]
    public void The_invalid_outcome_keeps_its_reason_short()
    {
        var outcome = WebhookOutcome.Invalid(new string('x', 5000));

        Assert.Equal("invalid", outcome.Status);
        Assert.True(outcome.Summary.Length <= 501);
    }

    [Fact]
    public void Options_printed_in_a_log_line_show_no_secret()
    {
        var github = new GitHubOptions { WebhookSecret = "hook-secret-1", Token = "ghp_token_2", App = new GitHubAppCredentials("7", "-----BEGIN PRIVATE KEY-----secret-3", 9) }.ToString();
        var gitlab = new GitLabOptions { WebhookToken = "gl-hook-4", Token = "glpat-5" }.ToString();

        foreach (var secret in new[] { "hook-secret-1", "ghp_token_2", "secret-3" })
        {
            Assert.DoesNotContain(secret, github, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("gl-hook-4", gitlab, StringComparison.Ordinal);
        Assert.DoesNotContain("glpat-5", gitlab, StringComparison.Ordinal);
        Assert.Contains("api.github.com", github, StringComparison.Ordinal);
        Assert.Contains("AppId = 7", github, StringComparison.Ordinal);
    }
}
