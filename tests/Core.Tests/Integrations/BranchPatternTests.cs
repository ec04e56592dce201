using DevMentor.Core.Integrations.Webhooks;

namespace DevMentor.Core.Tests.Integrations;

public sealed class BranchPatternTests
{
    [Theory]
    [InlineData("main", "main", true)]
    [InlineData("main", "main2", false)]
    [InlineData("release/*", "release/1.0", true)]
    [InlineData("release/*", "release/1.0/hotfix", false)]
    [InlineData("release/**", "release/1.0/hotfix", true)]
    [InlineData("feature-*", "feature-login", true)]
    [InlineData("feature-*", "bugfix-login", false)]
    [InlineData("v1.0", "v1x0", false)]
    public void Matches_like_ci_services(string pattern, string branch, bool expected) =>
        Assert.Equal(expected, BranchPattern.Matches(pattern, branch));
}
