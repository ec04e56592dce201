using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace DevMentor.Core.Projects;

/// <summary>
/// Reads and validates a project document (a create body, or a project after a merge patch was
/// applied). Every invalid field is reported, each under its JSON path; unknown fields are ignored.
/// </summary>
public static partial class ProjectInput
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 2000;
    public const int MaxBranches = 50;

    public static (ProjectDraft? Draft, IReadOnlyDictionary<string, string[]> Errors) Validate(JsonNode? body)
    {
        var errors = new Errors();
        if (body is not JsonObject root)
        {
            errors.Add("", "The body must be a JSON object.");
            return (null, errors.Map);
        }

        var name = ReadString(root, "name", errors, required: true)?.Trim();
        if (name is not null)
        {
            var length = name.EnumerateRunes().Count();
            if (length is 0 or > MaxNameLength)
            {
                errors.Add("name", $"must be 1 to {MaxNameLength} characters.");
            }
            else if (name.Any(char.IsControl))
            {
                errors.Add("name", "must not contain control characters.");
            }
        }

        var slug = ReadString(root, "slug", errors, required: false);
        if (slug is not null && ProjectSlug.Problem(slug) is { } slugProblem)
        {
            errors.Add("slug", slugProblem);
        }

        var description = ReadString(root, "description", errors, required: false) ?? "";
        if (description.EnumerateRunes().Count() > MaxDescriptionLength)
        {
            errors.Add("description", $"must be at most {MaxDescriptionLength} characters.");
        }

        var visibility = ReadString(root, "visibility", errors, required: false) ?? Visibilities.Private;
        if (!Visibilities.All.Contains(visibility))
        {
            errors.Add("visibility", "must be private, internal or public.");
        }

        var repository = ReadRepository(root, errors);
        var settings = ReadSettings(root, errors);

        return errors.Map.Count > 0
            ? (null, errors.Map)
            : (new ProjectDraft(name!, slug, description, visibility, repository, settings), errors.Map);
    }

    /// <summary>The editable fields of a project, as the target of a JSON merge patch.</summary>
    public static JsonObject ToDocument(Project project) => new()
    {
        ["name"] = project.Name,
        ["slug"] = project.Slug,
        ["description"] = project.Description,
        ["visibility"] = project.Visibility,
        ["repository"] = project.Repository is null ? null : JsonSerializer.SerializeToNode(project.Repository, ProjectsJsonContext.Default.ProjectRepository),
        ["settings"] = JsonSerializer.SerializeToNode(project.Settings, ProjectsJsonContext.Default.ProjectSettings),
    };

    /// <summary>RFC 7396 JSON merge patch: objects merge recursively, null removes, anything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject is { } targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = MergePatch(result[key], value);
            }
        }

        return result;
    }

    private static ProjectRepository? ReadRepository(JsonObject root, Errors errors)
    {
        if (!root.TryGetPropertyValue("repository", out var node) || node is null)
        {
            return null;
        }

        if (node is not JsonObject repository)
        {
            errors.Add("repository", "must be an object or null.");
            return null;
        }

        var provider = ReadString(repository, "provider", errors, required: true, path: "repository.provider");
        if (provider is not null and not ("github" or "gitlab" or "git" or HostedRepositoryRoot.Provider))
        {
            errors.Add("repository.provider", "must be github, gitlab, git or hosted.");
        }

        var fullName = ReadString(repository, "fullName", errors, required: false, path: "repository.fullName");
        if (provider is "github" or "gitlab")
        {
            if (fullName is null)
            {
                errors.Add("repository.fullName", $"is required for {provider} (owner/name).");
            }
            else if (!FullNameShape().IsMatch(fullName) || fullName.Length > 255 || fullName.Contains("..", StringComparison.Ordinal))
            {
                errors.Add("repository.fullName", "must be owner/name (GitLab: group/subgroup/name).");
            }
        }

        // hosted: the service derives the full name and clone URL from the project id (HostedRepositoryRoot).
        var cloneUrl = ReadString(repository, "cloneUrl", errors, required: provider == "git", path: "repository.cloneUrl");
        if (cloneUrl is not null && CloneUrlProblem(cloneUrl) is { } urlProblem)
        {
            errors.Add("repository.cloneUrl", urlProblem);
        }

        var defaultBranch = ReadString(repository, "defaultBranch", errors, required: false, path: "repository.defaultBranch") ?? "main";
        if (BranchProblem(defaultBranch, allowGlob: false) is { } branchProblem)
        {
            errors.Add("repository.defaultBranch", branchProblem);
        }

        if (provider is null || errors.HasUnder("repository"))
        {
            return null;
        }

        if (provider == HostedRepositoryRoot.Provider)
        {
            return new ProjectRepository(provider, null, "", defaultBranch);
        }

        cloneUrl ??= provider == "github" ? $"https://github.com/{fullName}.git" : $"https://gitlab.com/{fullName}.git";
        return new ProjectRepository(provider, fullName, cloneUrl, defaultBranch);
    }

    private static ProjectSettings ReadSettings(JsonObject root, Errors errors)
    {
        if (!root.TryGetPropertyValue("settings", out var node) || node is null)
        {
            return ProjectSettings.Default;
        }

        if (node is not JsonObject settings)
        {
            errors.Add("settings", "must be an object or null.");
            return ProjectSettings.Default;
        }

        var branches = new List<string>();
        if (settings.TryGetPropertyValue("buildBranches", out var branchesNode) && branchesNode is not null)
        {
            if (branchesNode is not JsonArray array || array.Count > MaxBranches)
            {
                errors.Add("settings.buildBranches", $"must be an array of at most {MaxBranches} branch names or globs.");
            }
            else
            {
                for (var i = 0; i < array.Count; i++)
                {
                    var path = $"settings.buildBranches[{i}]";
                    if (AsString(array[i]) is not { } branch)
                    {
                        errors.Add(path, "must be a string.");
                    }
                    else if (BranchProblem(branch, allowGlob: true) is { } problem)
                    {
                        errors.Add(path, problem);
                    }
                    else
                    {
                        branches.Add(branch);
                    }
                }
            }
        }
        else
        {
            branches.AddRange(ProjectSettings.Default.BuildBranches);
        }

        var tags = ReadGlobs(settings, "buildTags", "tag", errors);
        var environments = new List<DeployEnvironment>();
        if (settings.TryGetPropertyValue("deployEnvironments", out var environmentsNode) && environmentsNode is not null)
        {
            if (environmentsNode is not JsonArray array || array.Count > MaxBranches)
            {
                errors.Add("settings.deployEnvironments", $"must be an array of at most {MaxBranches} environments.");
            }
            else
            {
                for (var i = 0; i < array.Count; i++)
                {
                    var path = $"settings.deployEnvironments[{i}]";
                    if (array[i] is not JsonObject environment)
                    {
                        errors.Add(path, "must be an object {name, branch}.");
                        continue;
                    }

                    var name = ReadString(environment, "name", errors, required: true, path: path + ".name");
                    if (name is not null && !EnvironmentShape().IsMatch(name))
                    {
                        errors.Add(path + ".name", "must be 1 to 50 lowercase letters, digits and hyphens.");
                    }
                    else if (name is not null && environments.Any(e => e.Name == name))
                    {
                        errors.Add(path + ".name", $"'{name}' appears twice.");
                    }

                    var branch = ReadString(environment, "branch", errors, required: false, path: path + ".branch");
                    if (branch is not null && BranchProblem(branch, allowGlob: false) is { } problem)
                    {
                        errors.Add(path + ".branch", problem);
                    }

                    if (name is not null)
                    {
                        environments.Add(new DeployEnvironment(name, branch));
                    }
                }
            }
        }

        return new ProjectSettings(branches, environments, tags);
    }

    /// <summary>A list of ref names or globs (tags follow git's branch-name rules).</summary>
    private static List<string> ReadGlobs(JsonObject settings, string property, string what, Errors errors)
    {
        var globs = new List<string>();
        if (!settings.TryGetPropertyValue(property, out var node) || node is null)
        {
            return globs;
        }

        if (node is not JsonArray array || array.Count > MaxBranches)
        {
            errors.Add($"settings.{property}", $"must be an array of at most {MaxBranches} {what} names or globs.");
            return globs;
        }

        for (var i = 0; i < array.Count; i++)
        {
            var path = $"settings.{property}[{i}]";
            if (AsString(array[i]) is not { } glob)
            {
                errors.Add(path, "must be a string.");
            }
            else if (BranchProblem(glob, allowGlob: true) is { } problem)
            {
                errors.Add(path, problem.Replace("branch", what, StringComparison.Ordinal));
            }
            else
            {
                globs.Add(glob);
            }
        }

        return globs;
    }

    private static string? ReadString(JsonObject parent, string property, Errors errors, bool required, string? path = null)
    {
        path ??= property;
        if (!parent.TryGetPropertyValue(property, out var node) || node is null)
        {
            if (required)
            {
                errors.Add(path, "is required.");
            }

            return null;
        }

        if (AsString(node) is { } value)
        {
            return value;
        }

        errors.Add(path, node.GetValueKind() == JsonValueKind.String ? "must be valid Unicode text (no unpaired surrogates)." : "must be a string.");
        return null;
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool IsValidUnicode(string value)
    {
        try
        {
            StrictUtf8.GetByteCount(value);
            return true;
        }
        catch (System.Text.EncoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>The node's string, or null when it is no string or no valid Unicode (an escaped lone surrogate).</summary>
    public static string? AsString(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            var text = value.GetValue<string>();
            return IsValidUnicode(text) ? text : null;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    internal static string? CloneUrlProblem(string url)
    {
        if (url.Length > 2048 || url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            return "must be a URL without spaces or control characters, at most 2048 characters.";
        }

        // scp-like syntax git understands: user@host:path
        if (ScpLike().IsMatch(url))
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "ssh" or "git" or "file"))
        {
            return "must be an https, ssh, git or file URL (or user@host:path).";
        }

        // Credentials in a clone URL end up in logs and process listings; they belong in configuration.
        return uri.UserInfo.Contains(':', StringComparison.Ordinal) ? "must not contain a password; configure credentials instead." : null;
    }

    internal static string? BranchProblem(string branch, bool allowGlob)
    {
        if (branch.Length is 0 or > 255)
        {
            return "must be 1 to 255 characters.";
        }

        var forbidden = allowGlob ? " ~^:?[\\" : " ~^:?[\\*";
        if (branch.Any(c => char.IsControl(c) || forbidden.Contains(c, StringComparison.Ordinal)) ||
            branch.Contains("..", StringComparison.Ordinal) || branch.Contains("//", StringComparison.Ordinal) || branch.Contains("@{", StringComparison.Ordinal) ||
            branch.StartsWith('-') || branch.StartsWith('/') || branch.EndsWith('/') || branch.EndsWith('.') || branch.EndsWith(".lock", StringComparison.Ordinal))
        {
            return "is not a valid git branch name.";
        }

        return null;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", RegexOptions.CultureInvariant)]
    private static partial Regex FullNameShape();

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex EnvironmentShape();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:[A-Za-z0-9_./~-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLike();

    private sealed class Errors
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public Dictionary<string, string[]> Map => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var list))
            {
                _errors[field] = list = [];
            }

            list.Add(message);
        }

        public bool HasUnder(string prefix) => _errors.Keys.Any(k => k == prefix || k.StartsWith(prefix + ".", StringComparison.Ordinal));
    }
}
