using DevMentor.Core.Projects;
using DevMentor.Core.Security;

namespace DevMentor.Core.Tests.Projects;

public sealed class ProjectAccessTests
{
    private static ProjectSnapshot Snapshot(string visibility, bool archived = false) => new(
        new Project(Guid.NewGuid(), "p", "P", "", visibility, null, ProjectSettings.Default, "olivia",
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, archived ? DateTimeOffset.UnixEpoch : null, 1),
        new Dictionary<string, string> { ["olivia"] = "owner", ["dan"] = "developer", ["mia"] = "maintainer", ["vic"] = "viewer" });

    [Theory]
    [InlineData("vic", ProjectPermission.Read, AccessOutcome.Allowed)]
    [InlineData("vic", ProjectPermission.StartBuild, AccessOutcome.Forbidden)]
    [InlineData("dan", ProjectPermission.StartBuild, AccessOutcome.Allowed)]
    [InlineData("dan", ProjectPermission.Deploy, AccessOutcome.Forbidden)]
    [InlineData("mia", ProjectPermission.Deploy, AccessOutcome.Allowed)]
    [InlineData("mia", ProjectPermission.Update, AccessOutcome.Allowed)]
    [InlineData("mia", ProjectPermission.Archive, AccessOutcome.Forbidden)]
    [InlineData("mia", ProjectPermission.ManageCollaborators, AccessOutcome.Forbidden)]
    [InlineData("olivia", ProjectPermission.ManageCollaborators, AccessOutcome.Allowed)]
    [InlineData("stranger", ProjectPermission.Read, AccessOutcome.NotFound)]
    [InlineData("stranger", ProjectPermission.StartBuild, AccessOutcome.NotFound)]
    public void Roles_on_a_private_project(string user, ProjectPermission permission, AccessOutcome expected) =>
        Assert.Equal(expected, ProjectAccess.Decide(new Caller(user, false, null), Snapshot("private"), permission).Outcome);

    [Fact]
    public void Internal_projects_are_readable_by_anyone_signed_in_but_not_writable()
    {
        var stranger = new Caller("stranger", false, null);

        Assert.Equal(AccessOutcome.Allowed, ProjectAccess.Decide(stranger, Snapshot("internal"), ProjectPermission.Read).Outcome);
        Assert.Equal(AccessOutcome.Forbidden, ProjectAccess.Decide(stranger, Snapshot("internal"), ProjectPermission.StartBuild).Outcome);
    }

    [Fact]
    public void Admins_act_as_owners_and_archived_projects_are_read_only()
    {
        var admin = new Caller("root", true, null);

        Assert.Equal(AccessOutcome.Allowed, ProjectAccess.Decide(admin, Snapshot("private"), ProjectPermission.Archive).Outcome);
        Assert.Equal(AccessOutcome.Allowed, ProjectAccess.Decide(admin, Snapshot("private", archived: true), ProjectPermission.Read).Outcome);
        Assert.Equal(AccessOutcome.Archived, ProjectAccess.Decide(admin, Snapshot("private", archived: true), ProjectPermission.StartBuild).Outcome);
    }
}
