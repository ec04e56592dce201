using System.Text.Json.Nodes;
using DevMentor.Core.Projects;

namespace DevMentor.Core.Tests.Projects;

public sealed class ProjectInputTests
{
    [Fact]
    public void Defaults_fill_what_is_left_out()
    {
        var (draft, errors) = ProjectInput.Validate(JsonNode.Parse("""{"name": "Tiny"}"""));

        Assert.Empty(errors);
        Assert.Equal("private", draft!.Visibility);
        Assert.Null(draft.Slug);
        Assert.Equal("", draft.Description);
        Assert.Empty(draft.Settings.BuildBranches); // the repository's default branch
    }

    [Theory]
    [InlineData("git@github.com:acme/x.git", true)]
    [InlineData("ssh://git@example.com/acme/x.git", true)]
    [InlineData("git://example.com/x.git", true)]
    [InlineData("file:///srv/git/x.git", true)]
    [InlineData("https://token:secret@github.com/acme/x.git", false)]
    [InlineData("ftp://example.com/x.git", false)]
    [InlineData("https://example.com/x y.git", false)]
    [InlineData("-oProxyCommand=evil", false)]
    public void Clone_urls(string url, bool valid) => Assert.Equal(valid, ProjectInput.CloneUrlProblem(url) is null);

    [Theory]
    [InlineData("main", true)]
    [InlineData("release/1.2", true)]
    [InlineData("feature/*", false)]
    [InlineData("a..b", false)]
    [InlineData("-rf", false)]
    [InlineData("x.lock", false)]
    [InlineData("with space", false)]
    public void Branch_names(string branch, bool valid) => Assert.Equal(valid, ProjectInput.BranchProblem(branch, allowGlob: false) is null);

    [Fact]
    public void Merge_patch_follows_rfc_7396()
    {
        var target = JsonNode.Parse("""{"a": "b", "c": {"d": "e", "f": "g"}}""");
        var patch = JsonNode.Parse("""{"a": "z", "c": {"f": null}}""");

        var merged = ProjectInput.MergePatch(target, patch);

        Assert.Equal("""{"a":"z","c":{"d":"e"}}""", merged!.ToJsonString());
    }

    [Theory]
    [InlineData("My Great App!", "my-great-app")]
    [InlineData("  --Hello__World--  ", "hello-world")]
    [InlineData("Проект", "project")]
    [InlineData("List", "project")]
    public void Slugs_derive_from_names(string name, string slug) => Assert.Equal(slug, ProjectSlug.FromName(name));

    [Fact]
    public void Cursors_round_trip_and_reject_tampering()
    {
        var cursor = new ProjectCursor(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), Guid.NewGuid());

        Assert.True(ProjectCursor.TryDecode(cursor.Encode(), out var decoded));
        Assert.Equal(cursor, decoded);
        Assert.False(ProjectCursor.TryDecode("bm90LWEtY3Vyc29y", out _));
        Assert.False(ProjectCursor.TryDecode("%%%", out _));
    }
}
