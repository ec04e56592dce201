namespace DevMentor.Core.Security;

/// <summary>Project roles, each including the rights of the ones below it.</summary>
public enum ProjectRole
{
    Viewer = 1,
    Developer = 2,
    Maintainer = 3,
    Owner = 4,
}

public static class ProjectRoles
{
    public static readonly IReadOnlyList<string> Names = ["owner", "maintainer", "developer", "viewer"];

    public static string ToName(this ProjectRole role) => role switch
    {
        ProjectRole.Owner => "owner",
        ProjectRole.Maintainer => "maintainer",
        ProjectRole.Developer => "developer",
        _ => "viewer",
    };

    public static bool TryParse(string? name, out ProjectRole role)
    {
        role = name switch
        {
            "owner" => ProjectRole.Owner,
            "maintainer" => ProjectRole.Maintainer,
            "developer" => ProjectRole.Developer,
            "viewer" => ProjectRole.Viewer,
            _ => 0,
        };
        return role != 0;
    }
}

/// <summary>What a caller wants to do with a project; each needs a minimum role.</summary>
public enum ProjectPermission
{
    Read,
    StartBuild,
    Update,
    Deploy,
    ManageCollaborators,
    Archive,
    /// <summary>Create and edit tasks.</summary>
    EditTasks,
    DeleteTasks,
    /// <summary>Push to the project's hosted repository.</summary>
    Push,
    /// <summary>Commit to the project's repository through the files API (the code editor integration).</summary>
    WriteCode,
}

public static class ProjectPermissions
{
    public static ProjectRole RequiredRole(this ProjectPermission permission) => permission switch
    {
        ProjectPermission.Read => ProjectRole.Viewer,
        ProjectPermission.StartBuild or ProjectPermission.EditTasks or ProjectPermission.Push or ProjectPermission.WriteCode => ProjectRole.Developer,
        ProjectPermission.Update or ProjectPermission.Deploy or ProjectPermission.DeleteTasks => ProjectRole.Maintainer,
        _ => ProjectRole.Owner,
    };
}
