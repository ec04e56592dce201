using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DevMentor.Functions.Tests.Infrastructure;

#pragma warning disable CA5350 // git names objects by SHA-1: the fake names its objects the same way

namespace DevMentor.Functions.Tests.Creation;

/// <summary>
/// GitHub's repository, Git data, hooks and branch protection APIs as a state machine behind
/// <see cref="FakeRepositoryHost.Handler"/> (under /api/v3/, where Octokit calls a GitHub Enterprise
/// Server): what the creation flow writes can be read back, so its look-ups before creating are
/// real. auto_init makes an "Initial commit" on main, as GitHub does; a ref update that is not a
/// fast-forward without force is refused 422, as GitHub does.
/// </summary>
public sealed partial class FakeGitHubRepositories
{
    public const string TokenUser = "octo";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Repo> _repos = new(StringComparer.OrdinalIgnoreCase);

    public sealed class Repo(string fullName)
    {
        public string FullName { get; } = fullName;
        public string DefaultBranch { get; set; } = "main";
        public Dictionary<string, string> Refs { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, JsonObject> Commits { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, byte[]> Blobs { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, JsonArray> Trees { get; } = new(StringComparer.Ordinal);
        public List<JsonObject> Hooks { get; } = [];
        public JsonNode? Protection { get; set; }
    }

    public Repo? Find(string fullName)
    {
        lock (_lock)
        {
            return _repos.GetValueOrDefault(fullName);
        }
    }

    /// <summary>The files of the branch's head commit (path → content), resolving base trees.</summary>
    public IReadOnlyDictionary<string, string> FilesAt(string fullName, string branch)
    {
        lock (_lock)
        {
            var repo = _repos[fullName];
            var tree = repo.Commits[repo.Refs[$"heads/{branch}"]]["tree"]!["sha"]!.GetValue<string>();
            return repo.Trees[tree].OfType<JsonObject>().ToDictionary(e => e["path"]!.GetValue<string>(),
                e => System.Text.Encoding.UTF8.GetString(repo.Blobs[e["sha"]!.GetValue<string>()]), StringComparer.Ordinal);
        }
    }

    public (int Status, string Json)? Handle(FakeRepositoryHost.Call call)
    {
        var path = Uri.UnescapeDataString(call.PathAndQuery.Split('?')[0]);
        if (!path.StartsWith("/api/v3/", StringComparison.Ordinal))
        {
            return null;
        }

        path = path["/api/v3".Length..];
        var body = call.Body.Length > 0 ? JsonNode.Parse(call.Body) : null;
        lock (_lock)
        {
            if (call.Method == "GET" && path == "/user")
            {
                return (200, $$"""{"login":"{{TokenUser}}","id":1}""");
            }

            if (call.Method == "POST" && (path == "/user/repos" || OrgRepos().Match(path) is { Success: true }))
            {
                var owner = path == "/user/repos" ? TokenUser : OrgRepos().Match(path).Groups[1].Value;
                var fullName = $"{owner}/{body!["name"]!.GetValue<string>()}";
                if (_repos.ContainsKey(fullName))
                {
                    return (422, """{"message":"Repository creation failed.","errors":[{"message":"name already exists on this account"}]}""");
                }

                var repo = _repos[fullName] = new Repo(fullName);
                if (body["auto_init"]?.GetValue<bool>() == true)
                {
                    var blob = AddBlob(repo, "# readme\n"u8.ToArray());
                    var tree = AddTree(repo, [new JsonObject { ["path"] = "README.md", ["sha"] = blob }]);
                    repo.Refs["heads/main"] = AddCommit(repo, "Initial commit", tree, []);
                }

                return (201, RepoJson(repo));
            }

            var match = RepoPath().Match(path);
            if (!match.Success)
            {
                return (404, """{"message":"Not Found"}""");
            }

            var name = $"{match.Groups[1].Value}/{match.Groups[2].Value}";
            var rest = match.Groups[3].Value;
            if (!_repos.TryGetValue(name, out var r))
            {
                return (404, """{"message":"Not Found"}""");
            }

            switch (call.Method, rest)
            {
                case ("GET", ""):
                    return (200, RepoJson(r));
                case ("PATCH", ""):
                    r.DefaultBranch = body?["default_branch"]?.GetValue<string>() ?? r.DefaultBranch;
                    return (200, RepoJson(r));
                case ("POST", "/git/blobs"):
                    var content = body!["encoding"]?.GetValue<string>() == "base64"
                        ? Convert.FromBase64String(body["content"]!.GetValue<string>()) : System.Text.Encoding.UTF8.GetBytes(body["content"]!.GetValue<string>());
                    return (201, $$"""{"sha":"{{AddBlob(r, content)}}","url":"x"}""");
                case ("POST", "/git/trees"):
                    var entries = new JsonArray();
                    if (body!["base_tree"]?.GetValue<string>() is { } baseTree)
                    {
                        foreach (var e in r.Trees[baseTree])
                        {
                            entries.Add(e!.DeepClone());
                        }
                    }

                    foreach (var item in body["tree"]!.AsArray().OfType<JsonObject>())
                    {
                        var p = item["path"]!.GetValue<string>();
                        foreach (var old in entries.OfType<JsonObject>().Where(e => e["path"]!.GetValue<string>() == p).ToList())
                        {
                            entries.Remove(old);
                        }

                        entries.Add(new JsonObject { ["path"] = p, ["sha"] = item["sha"]!.GetValue<string>() });
                    }

                    return (201, $$"""{"sha":"{{AddTree(r, entries)}}","tree":[]}""");
                case ("POST", "/git/commits"):
                    var parents = body!["parents"]?.AsArray().Select(p => p!.GetValue<string>()).ToArray() ?? [];
                    var sha = AddCommit(r, body["message"]!.GetValue<string>(), body["tree"]!.GetValue<string>(), parents);
                    return (201, r.Commits[sha].ToJsonString());
                case ("POST", "/git/refs"):
                    var refName = body!["ref"]!.GetValue<string>()["refs/".Length..];
                    if (r.Refs.ContainsKey(refName))
                    {
                        return (422, """{"message":"Reference already exists"}""");
                    }

                    r.Refs[refName] = body["sha"]!.GetValue<string>();
                    return (201, RefJson(refName, r.Refs[refName]));
                case ("GET", var g) when RefGet().Match(g) is { Success: true } refMatch:
                    return r.Refs.TryGetValue(refMatch.Groups[1].Value, out var at) ? (200, RefJson(refMatch.Groups[1].Value, at)) : (404, """{"message":"Not Found"}""");
                case ("PATCH", var u) when RefGet().Match(u) is { Success: true } update:
                    var target = body!["sha"]!.GetValue<string>();
                    var key = update.Groups[1].Value;
                    var force = body["force"]?.GetValue<bool>() == true;
                    if (!force && r.Refs.TryGetValue(key, out var current) &&
                        !r.Commits[target]["parents"]!.AsArray().Any(p => p!["sha"]!.GetValue<string>() == current))
                    {
                        return (422, """{"message":"Update is not a fast forward"}""");
                    }

                    r.Refs[key] = target;
                    return (200, RefJson(key, target));
                case ("GET", var c) when c.StartsWith("/git/commits/", StringComparison.Ordinal):
                    return r.Commits.TryGetValue(c["/git/commits/".Length..], out var commit) ? (200, commit.ToJsonString()) : (404, """{"message":"Not Found"}""");
                case ("GET", "/hooks"):
                    return (200, new JsonArray([.. r.Hooks.Select(h => (JsonNode)h.DeepClone())]).ToJsonString());
                case ("POST", "/hooks"):
                    var hook = new JsonObject { ["id"] = 100 + r.Hooks.Count, ["name"] = "web", ["active"] = true, ["events"] = body!["events"]!.DeepClone(), ["config"] = body["config"]!.DeepClone() };
                    r.Hooks.Add(hook);
                    return (201, hook.ToJsonString());
                case ("PATCH", var h) when h.StartsWith("/hooks/", StringComparison.Ordinal):
                    var existing = r.Hooks.FirstOrDefault(x => x["id"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture) == h["/hooks/".Length..]);
                    if (existing is null)
                    {
                        return (404, """{"message":"Not Found"}""");
                    }

                    existing["config"] = body!["config"]!.DeepClone();
                    return (200, existing.ToJsonString());
                case ("PUT", var b) when b.StartsWith("/branches/", StringComparison.Ordinal) && b.EndsWith("/protection", StringComparison.Ordinal):
                    if (!r.Refs.ContainsKey("heads/" + b["/branches/".Length..^"/protection".Length]))
                    {
                        return (404, """{"message":"Branch not found"}""");
                    }

                    r.Protection = body;
                    return (200, """{"url":"x","enforce_admins":{"enabled":false}}""");
                default:
                    return (404, """{"message":"Not Found"}""");
            }
        }
    }

    private static string RepoJson(Repo repo) => JsonSerializer.Serialize(new
    {
        id = 1,
        name = repo.FullName.Split('/')[1],
        full_name = repo.FullName,
        html_url = $"https://github.example/{repo.FullName}",
        default_branch = repo.DefaultBranch,
        owner = new { login = repo.FullName.Split('/')[0], id = 1 },
    });

    private static string RefJson(string name, string sha) => $$$"""{"ref":"refs/{{{name}}}","object":{"sha":"{{{sha}}}","type":"commit"}}""";

    private static string Sha(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    private static string AddBlob(Repo repo, byte[] content)
    {
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData([.. System.Text.Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));
        repo.Blobs[sha] = content;
        return sha;
    }

    private static string AddTree(Repo repo, JsonArray entries)
    {
        var sha = Sha("tree " + entries.ToJsonString());
        repo.Trees[sha] = entries;
        return sha;
    }

    private static string AddCommit(Repo repo, string message, string tree, string[] parents)
    {
        var sha = Sha($"commit {tree} {string.Join(',', parents)} {message} {repo.Commits.Count}");
        repo.Commits[sha] = new JsonObject
        {
            ["sha"] = sha,
            ["message"] = message,
            ["tree"] = new JsonObject { ["sha"] = tree },
            ["parents"] = new JsonArray([.. parents.Select(p => (JsonNode)new JsonObject { ["sha"] = p })]),
        };
        return sha;
    }

    [GeneratedRegex("^/orgs/([^/]+)/repos$")]
    private static partial Regex OrgRepos();

    [GeneratedRegex("^/repos/([^/]+)/([^/]+)(/.*)?$")]
    private static partial Regex RepoPath();

    [GeneratedRegex("^/git/refs?/(heads/.+)$")]
    private static partial Regex RefGet();
}
