using DevMentor.Core.Pipelines.Artifacts;

namespace DevMentor.Core.Tests.Pipelines.Artifacts;

public sealed class ArtifactNamesTests
{
    [Theory]
    [InlineData("dist/app.js")]
    [InlineData(".devmentor-out/packages/app-1.0.0.tgz")]
    [InlineData("a")]
    public void Workspace_relative_paths_are_valid(string name) => Assert.Null(ArtifactNames.Check(name));

    [Theory]
    [InlineData("")]
    [InlineData("/etc/passwd")]
    [InlineData("../secret")]
    [InlineData("dist/../../secret")]
    [InlineData("dist//a")]
    [InlineData("dist/./a")]
    [InlineData("dist\\a")]
    [InlineData("dist/a\n")]
    public void Paths_that_could_leave_the_workspace_or_are_odd_are_rejected(string name) => Assert.NotNull(ArtifactNames.Check(name));

    [Theory]
    [InlineData("p/app.tgz", "application/gzip")]
    [InlineData("index.JS", "text/javascript; charset=utf-8")]
    [InlineData("bin/app", "application/octet-stream")]
    public void Content_types_follow_the_extension(string name, string type) => Assert.Equal(type, ArtifactNames.ContentTypeFor(name));
}
