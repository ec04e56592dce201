using DevMentor.Core.Search;

namespace DevMentor.Core.Tests.Search;

/// <summary>What a path search asks the trigram index for, given the trigrams most paths hold.</summary>
public sealed class PathTrigramsTests
{
    // What ANALYZE reports as common over the search benchmark's 100,000 paths (src/moduleN/fileN.cs), share >= 5%.
    private static readonly HashSet<string> Common =
    [
        "  c", "  f", "  m", "  s", " cs", " fi", " mo", " sr", "cs ", "dul", "fil", "ile", "le1", "le2", "le3", "le4",
        "le5", "le6", "le7", "le8", "le9", "mod", "odu", "rc ", "src", "ule",
    ];

    [Theory]
    [InlineData("file4251", "e4251")] // fil, ile, le4 are in most paths; e42, 425, 251 are not
    [InlineData("FILE4251", "E4251")] // pg_trgm folds case; the run keeps the caller's (ILIKE)
    [InlineData("src/module251/file4251.cs", "e4251")] // the longest uncommon run of any word
    [InlineData("module", "module")] // nothing but common trigrams: the whole text, nothing cheaper finds the same rows
    [InlineData("Engine.cs", "Engine")] // "  c" and " cs" are common: the extension is left to the check of the whole text
    [InlineData("quasar/Engine", "quasar/Engine")] // no common trigram: the whole text, every trigram narrows
    [InlineData("ab", "ab")] // too short for a trigram
    [InlineData("fi_le%4251", "fi_le%4251")] // LIKE's wildcards split words, none of which holds a common trigram
    public void The_index_is_asked_for_the_longest_run_without_common_trigrams(string text, string expected) =>
        Assert.Equal(expected, PathTrigrams.IndexText(text, Common));

    [Fact]
    public void Without_statistics_the_whole_text_is_looked_up() =>
        Assert.Equal("file4251", PathTrigrams.IndexText("file4251", new HashSet<string>()));
}
