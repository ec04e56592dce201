using DevMentor.Core.Code;

namespace DevMentor.Core.Tests.Code;

/// <summary>What paths and branches a file write may name.</summary>
public sealed class CodePathsTests
{
    [Theory]
    [InlineData("src/a.cs", "src/a.cs")]
    [InlineData("/docs/readme.md/", "docs/readme.md")]
    [InlineData("a/.gitignore", "a/.gitignore")]
    [InlineData("über/日本.txt", "über/日本.txt")]
    public void Writable_paths_are_normalised(string raw, string expected) => Assert.Equal((expected, null), CodePaths.NormalizeForWrite(raw));

    [Theory]
    [InlineData(".git/config")]
    [InlineData("sub/.GIT/hooks/pre-commit")]
    [InlineData("../etc/passwd")]
    [InlineData("a/./b")]
    [InlineData("a//b")]
    [InlineData("a<NUL>b")]
    [InlineData("a\\b")]
    [InlineData("bad<D800>name")]
    [InlineData("bad<DC00>")]
    [InlineData("")]
    public void Unwritable_paths_are_refused_with_a_reason(string raw)
    {
        var (path, error) = CodePaths.NormalizeForWrite(Unprintable(raw));
        Assert.Null(path);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("a%2Fb.txt", "a/b.txt")]
    [InlineData("%C3%BCber", "über")]
    [InlineData("100%", "100%")]
    [InlineData("emoji\U0001F600", "emoji\U0001F600")]
    public void Escapes_the_server_left_are_decoded(string raw, string expected) => Assert.Equal((expected, null), CodePaths.UnescapeStrict(raw));

    [Theory]
    [InlineData("lone%ED%A0%80surrogate")]
    [InlineData("stray%FF")]
    [InlineData("raw<D800>")]
    public void Escapes_that_are_not_utf8_are_refused(string raw) => Assert.NotNull(CodePaths.UnescapeStrict(Unprintable(raw)).Error);

    /// <summary>Theory data stays printable (test names are serialised): the characters are put in here.</summary>
    private static string Unprintable(string raw) => raw.Replace("<NUL>", "\0", StringComparison.Ordinal)
        .Replace("<D800>", "\uD800", StringComparison.Ordinal).Replace("<DC00>", "\uDC00", StringComparison.Ordinal);

    [Theory]
    [InlineData("main", "refs/heads/main")]
    [InlineData("feature/x", "refs/heads/feature/x")]
    [InlineData("refs/heads/main", "refs/heads/main")]
    [InlineData("refs/tags/v1", null)]
    [InlineData("-main", null)]
    [InlineData("a..b", null)]
    [InlineData("x.lock", null)]
    [InlineData("refs/heads/", null)]
    public void Writes_go_to_branches(string branch, string? expected) => Assert.Equal(expected, CodePaths.BranchRef(branch));
}
