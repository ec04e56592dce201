using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using DevMentor.Core.Integrations.GitLab;
using DevMentor.Core.Templates;

namespace DevMentor.Core.Creation.Hosts;

/// <summary>
/// The creation flow on GitLab, through its REST API v4 over a plain HttpClient (the named
/// <see cref="GitLabStatusClient.HttpClientName"/> client): no .NET client library for GitLab's
/// API is served to this build (GitHub has Octokit), and these few calls do not justify one.
/// Projects are addressed by their URL-encoded path for the lookup, then by their numeric id.
/// The calls: GET/POST /projects (the namespace's id from GET /namespaces/{path}), GET
/// /projects/:id/repository/branches/:branch, POST /projects/:id/repository/commits with one
/// action per file (GitLab creates the branch on an empty repository), GET/POST/PUT
/// /projects/:id/hooks with the project's secret as the hook's token, and GET/POST
/// /projects/:id/protected_branches. GitLab's free tier cannot require a named commit status;
/// what it offers instead is "pipelines must succeed" (commit statuses count as an external
/// pipeline), which protection turns on. Authentication: PRIVATE-TOKEN, never in a message.
/// </summary>
public sealed class GitLabCreationHost(IHttpClientFactory httpClients, GitLabOptions options) : IRemoteRepositoryHost
{
    public string Provider => GitLabWebhookIntake.Provider;

    public bool HasCredentials => !string.IsNullOrEmpty(options.Token);

    public async Task<string> EnsureRepositoryAsync(RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        if (await FindProjectAsync(target, cancellationToken) is { } existing)
        {
            return existing["web_url"]?.GetValue<string>() ?? target.FullName;
        }

        var ns = await SendAsync(HttpMethod.Get, $"namespaces/{Uri.EscapeDataString(target.Owner)}", null, $"looking up namespace {target.Owner}", cancellationToken);
        var created = await SendAsync(HttpMethod.Post, "projects", new JsonObject
        {
            ["name"] = target.Name,
            ["path"] = target.Name,
            ["namespace_id"] = ns!["id"]!.GetValue<long>(),
            ["description"] = target.Description,
            ["visibility"] = target.IsPrivate ? "private" : "public",
            ["initialize_with_readme"] = false,
            ["default_branch"] = branch,
        }, $"creating project {target.FullName}", cancellationToken);
        return created!["web_url"]?.GetValue<string>() ?? target.FullName;
    }

    public async Task<RemoteHead?> HeadAsync(RemoteTarget target, string branch, CancellationToken cancellationToken)
    {
        var id = await ProjectIdAsync(target, cancellationToken);
        var found = await SendAsync(HttpMethod.Get, $"projects/{id}/repository/branches/{Uri.EscapeDataString(branch)}", null,
            $"reading branch {branch} of {target.FullName}", cancellationToken, notFoundIsNull: true);
        return found?["commit"] is JsonObject commit ? new RemoteHead(commit["id"]!.GetValue<string>(), commit["message"]?.GetValue<string>() ?? "") : null;
    }

    /// <summary>
    /// One commit through the commits API. GitLab has no "expected parent": with <paramref name="parent"/>
    /// given, the branch's head is compared just before (a branch that moved fails the step, which can be retried).
    /// </summary>
    public async Task<string> CommitAsync(RemoteTarget target, string branch, string? parent, IReadOnlyList<RenderedFile> files, string message, CancellationToken cancellationToken)
    {
        var id = await ProjectIdAsync(target, cancellationToken);
        if (parent is not null && (await HeadAsync(target, branch, cancellationToken))?.Sha != parent)
        {
            throw new RemoteHostException(null, $"Branch {branch} of {target.FullName} moved since the step read it; retry the step.");
        }

        var actions = new JsonArray();
        foreach (var file in files)
        {
            actions.Add(new JsonObject { ["action"] = "create", ["file_path"] = file.Path, ["content"] = Convert.ToBase64String(file.Content), ["encoding"] = "base64" });
        }

        var commit = await SendAsync(HttpMethod.Post, $"projects/{id}/repository/commits",
            new JsonObject { ["branch"] = branch, ["commit_message"] = message, ["actions"] = actions }, $"committing to {target.FullName}@{branch}", cancellationToken);
        return commit!["id"]!.GetValue<string>();
    }

    public async Task<long> EnsureHookAsync(RemoteTarget target, Uri url, string secret, CancellationToken cancellationToken)
    {
        var id = await ProjectIdAsync(target, cancellationToken);
        var hooks = await SendAsync(HttpMethod.Get, $"projects/{id}/hooks", null, $"listing the hooks of {target.FullName}", cancellationToken) as JsonArray ?? [];
        var body = new JsonObject
        {
            ["url"] = url.ToString(),
            ["token"] = secret,
            ["push_events"] = true,
            ["issues_events"] = true,
            ["merge_requests_events"] = true,
            ["enable_ssl_verification"] = true,
        };
        if (hooks.OfType<JsonObject>().FirstOrDefault(h => h["url"]?.GetValue<string>() == url.ToString()) is { } existing)
        {
            // A hook from an earlier attempt gets the project's token again (GitLab never shows it back to compare).
            var hookId = existing["id"]!.GetValue<long>();
            await SendAsync(HttpMethod.Put, $"projects/{id}/hooks/{hookId}", body, $"updating the hook of {target.FullName}", cancellationToken);
            return hookId;
        }

        var created = await SendAsync(HttpMethod.Post, $"projects/{id}/hooks", body, $"creating the hook of {target.FullName}", cancellationToken);
        return created!["id"]!.GetValue<long>();
    }

    public async Task<string> ProtectBranchAsync(RemoteTarget target, string branch, IReadOnlyList<string> requiredStatuses, CancellationToken cancellationToken)
    {
        var id = await ProjectIdAsync(target, cancellationToken);
        var what = $"protecting branch {branch} of {target.FullName}";
        if (await SendAsync(HttpMethod.Get, $"projects/{id}/protected_branches/{Uri.EscapeDataString(branch)}", null, what, cancellationToken, notFoundIsNull: true) is null)
        {
            await SendAsync(HttpMethod.Post, $"projects/{id}/protected_branches",
                new JsonObject { ["name"] = branch, ["push_access_level"] = 40, ["merge_access_level"] = 40 }, what, cancellationToken);
        }

        await SendAsync(HttpMethod.Put, $"projects/{id}", new JsonObject { ["only_allow_merge_if_pipeline_succeeds"] = true }, what, cancellationToken);
        return $"{branch} protected (maintainers push and merge); merges need a successful pipeline, which {string.Join(" and ", requiredStatuses)} make up (GitLab cannot require one status by name)";
    }

    private async Task<JsonObject?> FindProjectAsync(RemoteTarget target, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Get, $"projects/{Uri.EscapeDataString(target.FullName)}", null, $"looking up project {target.FullName}", cancellationToken, notFoundIsNull: true) as JsonObject;

    private async Task<long> ProjectIdAsync(RemoteTarget target, CancellationToken cancellationToken) =>
        (await FindProjectAsync(target, cancellationToken))?["id"]?.GetValue<long>()
        ?? throw new RemoteHostException(404, $"GitLab has no project {target.FullName} (deleted since it was created?).");

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonObject? body, string what, CancellationToken cancellationToken, bool notFoundIsNull = false)
    {
        using var http = httpClients.CreateClient(GitLabStatusClient.HttpClientName);
        using var request = new HttpRequestMessage(method, new Uri(options.ApiBaseUrl, path));
        if (!string.IsNullOrEmpty(options.Token))
        {
            request.Headers.Add("PRIVATE-TOKEN", options.Token);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RemoteHostException(null, $"GitLab could not be reached {what}: {e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RemoteHostException(null, $"GitLab did not answer in time {what}.");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            if (status == 404 && notFoundIsNull)
            {
                return null;
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new RemoteHostException(status, $"GitLab answered {status} {Explain(status)} {what}{GitLabMessage(text)}.");
            }

            try
            {
                return text.Length == 0 ? null : JsonNode.Parse(text);
            }
            catch (System.Text.Json.JsonException)
            {
                throw new RemoteHostException(status, $"GitLab's answer {what} is not JSON.");
            }
        }
    }

    private static string Explain(int status) => status switch
    {
        401 => "(the service's GitLab token was rejected: check GitLab:Token)",
        403 => "(the token may not do this)",
        404 => "(no such namespace or project, or the token cannot see it)",
        400 or 409 or 422 => "(refused)",
        >= 500 => "(GitLab is having trouble)",
        _ => "",
    };

    /// <summary>GitLab's own explanation ({"message": …} or {"error": …}), shortened.</summary>
    private static string GitLabMessage(string text)
    {
        try
        {
            var node = JsonNode.Parse(text);
            var message = (node?["message"] ?? node?["error"])?.ToJsonString().Trim('"');
            return string.IsNullOrWhiteSpace(message) ? "" : ": " + (message.Length > 300 ? message[..300] + "…" : message);
        }
        catch (System.Text.Json.JsonException)
        {
            return "";
        }
    }
}
