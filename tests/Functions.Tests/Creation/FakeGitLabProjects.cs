using System.Text.Json.Nodes;
using DevMentor.Functions.Tests.Infrastructure;

#pragma warning disable CA5350 // commit ids are made up the way git makes them: SHA-1

namespace DevMentor.Functions.Tests.Creation;

/// <summary>
/// GitLab's projects, namespaces, commits, hooks and protected branches APIs (v4) as a state machine
/// behind <see cref="FakeRepositoryHost.Handler"/>, so the creation flow's look-ups before creating
/// are real. A commit creating a file that exists is refused 400, as GitLab does.
/// <see cref="FailNextHookCreation"/> answers the next POST …/hooks 500 (a failure mid-step).
/// </summary>
public sealed class FakeGitLabProjects
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Project> _byPath = new(StringComparer.OrdinalIgnoreCase);
    private int _failHooks;

    public sealed class Project(long id, string path)
    {
        public long Id { get; } = id;
        public string Path { get; } = path;
        public Dictionary<string, (string Sha, string Message)> Branches { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);
        public List<JsonObject> Hooks { get; } = [];
        public HashSet<string> Protected { get; } = new(StringComparer.Ordinal);
        public bool PipelineMustSucceed { get; set; }
    }

    public void FailNextHookCreation() => Interlocked.Exchange(ref _failHooks, 1);

    public Project? Find(string path)
    {
        lock (_lock)
        {
            return _byPath.GetValueOrDefault(path);
        }
    }

    public (int Status, string Json)? Handle(FakeRepositoryHost.Call call)
    {
        // Paths arrive with %2F kept (an encoded project path is one segment); decode per segment.
        var raw = call.PathAndQuery.Split('?')[0].Replace("%252F", "%2F", StringComparison.OrdinalIgnoreCase);
        if (!raw.StartsWith("/api/v4/", StringComparison.Ordinal))
        {
            return null;
        }

        var segments = raw["/api/v4/".Length..].Split('/').Select(Uri.UnescapeDataString).ToArray();
        var body = call.Body.Length > 0 ? JsonNode.Parse(call.Body) : null;
        const string NotFound = """{"message":"404 Project Not Found"}""";
        lock (_lock)
        {
            switch (call.Method, segments)
            {
                case ("GET", ["namespaces", var ns]):
                    return (200, $$"""{"id":7,"kind":"group","full_path":"{{ns}}"}""");
                case ("POST", ["projects"]):
                    var path = "group/" + body!["path"]!.GetValue<string>(); // namespace 7 is "group"
                    if (body["namespace_id"]?.GetValue<long>() != 7 || _byPath.ContainsKey(path))
                    {
                        return (400, """{"message":{"path":["has already been taken"]}}""");
                    }

                    var created = _byPath[path] = new Project(40 + _byPath.Count + 2, path);
                    return (201, ProjectJson(created));
                case ("GET", ["projects", var key]):
                    return ById(key) is { } found ? (200, ProjectJson(found)) : (404, NotFound);
                case ("PUT", ["projects", var key]):
                    if (ById(key) is not { } edited)
                    {
                        return (404, NotFound);
                    }

                    edited.PipelineMustSucceed = body?["only_allow_merge_if_pipeline_succeeds"]?.GetValue<bool>() ?? edited.PipelineMustSucceed;
                    return (200, ProjectJson(edited));
                case ("GET", ["projects", var key, "repository", "branches", var branch]):
                    return ById(key)?.Branches.TryGetValue(branch, out var head) == true
                        ? (200, $$$"""{"name":"{{{branch}}}","commit":{"id":"{{{head.Sha}}}","message":{{{JsonValue.Create(head.Message).ToJsonString()}}}}}""")
                        : (404, """{"message":"404 Branch Not Found"}""");
                case ("POST", ["projects", var key, "repository", "commits"]):
                    if (ById(key) is not { } target)
                    {
                        return (404, NotFound);
                    }

                    foreach (var action in body!["actions"]!.AsArray().OfType<JsonObject>())
                    {
                        var file = action["file_path"]!.GetValue<string>();
                        if (action["action"]!.GetValue<string>() == "create" && target.Files.ContainsKey(file))
                        {
                            return (400, """{"message":"A file with this name already exists"}""");
                        }

                        target.Files[file] = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(action["content"]!.GetValue<string>()));
                    }

                    var message = body["commit_message"]!.GetValue<string>();
                    var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(call.Body)));
                    target.Branches[body["branch"]!.GetValue<string>()] = (sha, message);
                    return (201, $$"""{"id":"{{sha}}","message":{{JsonValue.Create(message).ToJsonString()}}}""");
                case ("GET", ["projects", var key, "hooks"]):
                    return ById(key) is { } listed ? (200, new JsonArray([.. listed.Hooks.Select(h => (JsonNode)h.DeepClone())]).ToJsonString()) : (404, NotFound);
                case ("POST", ["projects", var key, "hooks"]):
                    if (Interlocked.Exchange(ref _failHooks, 0) == 1)
                    {
                        return (500, """{"message":"500 Internal Server Error"}""");
                    }

                    if (ById(key) is not { } hooked)
                    {
                        return (404, NotFound);
                    }

                    var hook = new JsonObject { ["id"] = 500 + hooked.Hooks.Count, ["url"] = body!["url"]!.GetValue<string>(), ["token"] = body["token"]!.GetValue<string>() };
                    hooked.Hooks.Add(hook);
                    return (201, hook.ToJsonString());
                case ("PUT", ["projects", var key, "hooks", var hookId]):
                    var updated = ById(key)?.Hooks.FirstOrDefault(h => h["id"]!.ToJsonString() == hookId);
                    if (updated is null)
                    {
                        return (404, """{"message":"404 Not found"}""");
                    }

                    updated["token"] = body!["token"]!.GetValue<string>();
                    return (200, updated.ToJsonString());
                case ("GET", ["projects", var key, "protected_branches", var name]):
                    return ById(key)?.Protected.Contains(name) == true ? (200, $$"""{"name":"{{name}}"}""") : (404, """{"message":"404 Not found"}""");
                case ("POST", ["projects", var key, "protected_branches"]):
                    if (ById(key) is not { } protectedProject)
                    {
                        return (404, NotFound);
                    }

                    return protectedProject.Protected.Add(body!["name"]!.GetValue<string>())
                        ? (201, call.Body)
                        : (409, """{"message":"Protected branch 'main' already exists"}""");
                default:
                    return (404, """{"message":"404 Not Found"}""");
            }
        }
    }

    private Project? ById(string key) =>
        long.TryParse(key, out var id) ? _byPath.Values.FirstOrDefault(p => p.Id == id) : _byPath.GetValueOrDefault(key);

    private static string ProjectJson(Project p) =>
        $$"""{"id":{{p.Id}},"path_with_namespace":"{{p.Path}}","web_url":"https://gitlab.example/{{p.Path}}","default_branch":"main"}""";
}
