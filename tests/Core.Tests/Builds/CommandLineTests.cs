using DevMentor.Core.Builds;
using DevMentor.Core.Builds.Config;

namespace DevMentor.Core.Tests.Builds;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("npm ci", new[] { "npm", "ci" })]
    [InlineData("  dotnet   test  ", new[] { "dotnet", "test" })]
    [InlineData("echo 'a b' \"c d\"", new[] { "echo", "a b", "c d" })]
    [InlineData("echo \"say \\\"hi\\\"\" 'it''s'", new[] { "echo", "say \"hi\"", "its" })]
    [InlineData("echo a\\ b", new[] { "echo", "a b" })]
    [InlineData("echo \"\" ''", new[] { "echo", "", "" })]
    [InlineData("echo $HOME '&&'", new[] { "echo", "$HOME", "&&" })]
    [InlineData("pre\"mid dle\"post", new[] { "premid dlepost" })]
    [InlineData("echo \"a\\nb\"", new[] { "echo", "a\\nb" })]
    public void Splits_like_a_shell_without_expanding(string command, string[] argv) => Assert.Equal(argv, CommandLine.Split(command));

    [Theory]
    [InlineData("echo 'open", "unterminated single quote")]
    [InlineData("echo \"open", "unterminated double quote")]
    [InlineData("echo \\", "trailing backslash")]
    [InlineData("   ", "empty")]
    [InlineData("a | b", "shell operator")]
    [InlineData("a > out.txt", "shell operator")]
    [InlineData("a ; b", "shell operator")]
    [InlineData("a 2>&1", "shell operator")]
    public void Refuses_what_needs_a_shell_or_is_broken(string command, string message)
    {
        var error = Assert.Throws<FormatException>(() => CommandLine.Split(command));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1h", 3600)]
    [InlineData("2m5s", 125)]
    public void Durations(string text, long seconds)
    {
        Assert.True(Duration.TryParseSeconds(text, out var parsed));
        Assert.Equal(seconds, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("10 m")]
    [InlineData("1.5h")]
    [InlineData("5d")]
    [InlineData("30m1h")]
    [InlineData("-1")]
    [InlineData("99999999999999999999h")]
    public void Bad_durations(string text) => Assert.False(Duration.TryParseSeconds(text, out _));

    [Theory]
    [InlineData("main", "main", true)]
    [InlineData("main", "main2", false)]
    [InlineData("release/*", "release/1.0", true)]
    [InlineData("release/*", "release/1.0/hotfix", false)]
    [InlineData("release/**", "release/1.0/hotfix", true)]
    [InlineData("**/fix", "fix", true)]
    [InlineData("**/fix", "a/b/fix", true)]
    [InlineData("feature-?", "feature-a", true)]
    [InlineData("feature-?", "feature-ab", false)]
    [InlineData("v1.0", "v1x0", false)]
    public void Branch_globs(string glob, string branch, bool matches) => Assert.Equal(matches, BranchGlob.IsMatch(glob, branch));

    [Fact]
    public void Conditions_combine_branches_and_events()
    {
        var condition = new StepCondition(["main"], [BuildEvent.Push]);
        Assert.True(condition.Matches("main", BuildEvent.Push));
        Assert.False(condition.Matches("main", BuildEvent.PullRequest));
        Assert.False(condition.Matches(null, BuildEvent.Push));
        Assert.True(new StepCondition(null, null).Matches(null, BuildEvent.Manual));
    }
}
