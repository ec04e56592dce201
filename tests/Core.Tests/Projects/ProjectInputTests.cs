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

    [Theory]
    [InlineData(1, true)]
    [InlineData(100, true)]
    [InlineData(101, false)]
    public void Names_are_1_to_100_characters_counted_as_unicode_scalars(int length, bool valid)
    {
        // Astral characters are two UTF-16 units each: 100 of them are still 100 characters.
        var name = string.Concat(Enumerable.Repeat("🚀", length));
        var (_, errors) = ProjectInput.Validate(new JsonObject { ["name"] = name });

        Assert.Equal(valid, !errors.ContainsKey("name"));
    }

    [Theory]
    [InlineData(2000, true)]
    [InlineData(2001, false)]
    public void Descriptions_are_at_most_2000_characters(int length, bool valid)
    {
        var (_, errors) = ProjectInput.Validate(new JsonObject { ["name"] = "n", ["description"] = new string('d', length) });

        Assert.Equal(valid, !errors.ContainsKey("description"));
    }

    [Theory]
    [InlineData("private", true)]
    [InlineData("internal", true)]
    [InlineData("public", true)]
    [InlineData("Public", false)]
    [InlineData("secret", false)]
    public void Visibility_is_private_internal_or_public(string visibility, bool valid)
    {
        var (_, errors) = ProjectInput.Validate(new JsonObject { ["name"] = "n", ["visibility"] = visibility });

        Assert.Equal(valid, !errors.ContainsKey("visibility"));
    }

    [Theory]
    [InlineData("""{"provider": "gitlab", "fullName": "group/sub/app"}""", "https://gitlab.com/group/sub/app.git", "main", null)]
    [InlineData("""{"provider": "github", "fullName": "acme/app", "defaultBranch": "trunk"}""", "https://github.com/acme/app.git", "trunk", null)]
    [InlineData("""{"provider": "git", "cloneUrl": "ssh://git@example.com/app.git"}""", "ssh://git@example.com/app.git", "main", null)]
    [InlineData("""{"provider": "github"}""", null, null, "repository.fullName")]
    [InlineData("""{"provider": "github", "fullName": "acme/../etc"}""", null, null, "repository.fullName")]
    [InlineData("""{"provider": "git"}""", null, null, "repository.cloneUrl")]
    [InlineData("""{"provider": "svn", "cloneUrl": "https://example.com/x"}""", null, null, "repository.provider")]
    [InlineData("""{"fullName": "acme/app"}""", null, null, "repository.provider")]
    public void Repositories_name_a_provider_and_where_to_clone_from(string repository, string? cloneUrl, string? defaultBranch, string? invalidField)
    {
        var (draft, errors) = ProjectInput.Validate(new JsonObject { ["name"] = "n", ["repository"] = JsonNode.Parse(repository) });

        if (invalidField is null)
        {
            Assert.Empty(errors);
            Assert.Equal(cloneUrl, draft!.Repository!.CloneUrl);
            Assert.Equal(defaultBranch, draft.Repository.DefaultBranch);
        }
        else
        {
            Assert.Null(draft);
            Assert.Contains(invalidField, errors.Keys);
        }
    }
}
