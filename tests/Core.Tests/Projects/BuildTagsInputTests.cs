using System.Text.Json.Nodes;
using DevMentor.Core.Projects;

namespace DevMentor.Core.Tests.Projects;

public sealed class BuildTagsInputTests
{
    [Fact]
    public void Tag_pushes_build_nothing_unless_tags_are_listed()
    {
        var (draft, _) = ProjectInput.Validate(JsonNode.Parse("""{"name": "Tags"}"""));
        var (listed, errors) = ProjectInput.Validate(JsonNode.Parse("""{"name": "Tags", "settings": {"buildTags": ["v*", "release/**"]}}"""));

        Assert.Empty(draft!.Settings.BuildTags!);
        Assert.Empty(errors);
        Assert.Equal(["v*", "release/**"], listed!.Settings.BuildTags!);
    }

    [Theory]
    [InlineData("""{"buildTags": "v*"}""", "settings.buildTags")]
    [InlineData("""{"buildTags": ["bad tag"]}""", "settings.buildTags[0]")]
    [InlineData("""{"buildTags": ["v1", 2]}""", "settings.buildTags[1]")]
    [InlineData("""{"buildTags": ["v..1"]}""", "settings.buildTags[0]")]
    public void Bad_tag_globs_are_reported_under_their_path(string settings, string path)
    {
        var (draft, errors) = ProjectInput.Validate(JsonNode.Parse($$"""{"name": "Tags", "settings": {{settings}}}"""));

        Assert.Null(draft);
        Assert.Contains(path, errors.Keys);
    }
}
