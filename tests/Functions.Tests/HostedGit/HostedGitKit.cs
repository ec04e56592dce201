using System.Diagnostics;
using System.Net;
using System.Text.Json;
using DevMentor.Core.Security;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace DevMentor.Functions.Tests.HostedGit;

/// <summary>An app with hosted repositories reachable by the git command line (through a loopback forwarder), and API keys for four users.</summary>
public sealed class HostedGitKit : IAsyncDisposable
{
    public const string Owner = "owner-h";
    public const string Developer = "developer-h";
    public const string Viewer = "viewer-h";
    public const string Outsider = "outsider-h";

    private HostedGitKit(TestApp app, LoopbackForwarder forwarder, string root, Dictionary<string, string> keys)
    {
        App = app;
        Forwarder = forwarder;
        Root = root;
        Keys = keys;
    }

    public TestApp App { get; }
    public LoopbackForwarder Forwarder { get; }
    public string Root { get; }
    public IReadOnlyDictionary<string, string> Keys { get; }

    public static async Task<HostedGitKit> StartAsync(string purpose, params (string Key, string? Value)[] extra)
    {
        var app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync(purpose), TestAuth.Settings([
            ("Pipelines:Runner:Enabled", "false"),
            ("Deployments:Worker:Enabled", "false"),
            .. extra]));
        var keys = new Dictionary<string, string>();
        var store = app.Services.GetRequiredService<ApiKeyStore>();
        foreach (var user in new[] { Owner, Developer, Viewer, Outsider })
        {
            keys[user] = (await store.CreateAsync("git " + user, user, admin: false, createdBy: null, CancellationToken.None)).Key;
        }

        var root = Path.Combine(TestPostgres.ScratchRoot, "hosted-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        return new HostedGitKit(app, await LoopbackForwarder.StartAsync(app), root, keys);
    }

    public async ValueTask DisposeAsync()
    {
        await Forwarder.DisposeAsync();
        await App.DisposeAsync();
    }

    /// <summary>The HTTP clone URL of a project, with <paramref name="user"/>'s API key as the Basic password (or <paramref name="password"/>).</summary>
    public string UrlOf(Guid projectId, string? user, string? password = null)
    {
        var address = Forwarder.BaseAddress;
        var credentials = user is null ? "" : $"{user}:{Uri.EscapeDataString(password ?? Keys[user])}@";
        return $"http://{credentials}{address.Host}:{address.Port}/git/{projectId:D}.git";
    }

    /// <summary>Creates a project with a hosted repository as the owner, with a developer and a viewer.</summary>
    public async Task<JsonElement> CreateHostedProjectAsync(string visibility = "private")
    {
        var body = JsonSerializer.Serialize(new { name = "h-" + Guid.NewGuid().ToString("N")[..8], visibility, repository = new { provider = "hosted" } });
        using var response = await App.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", Owner, body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var project = JsonDocument.Parse(text).RootElement.Clone();
        var id = project.GetProperty("id").GetGuid();
        foreach (var (user, role) in new[] { (Developer, "developer"), (Viewer, "viewer") })
        {
            using var added = await App.Client.SendAsync(TestAuth.Request(HttpMethod.Put, $"/projects/{id}/collaborators/{user}", Owner, JsonSerializer.Serialize(new { role })));
            Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());
        }

        return project;
    }

    /// <summary>A new working directory with one commit of <paramref name="files"/>.</summary>
    public string NewWorkTree(IReadOnlyDictionary<string, string> files, string message = "first")
    {
        var work = Path.Combine(Root, "work-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        GitCommand.Ok(work, "init", "--quiet", "--initial-branch=main");
        Write(work, files);
        GitCommand.Ok(work, "add", "-A");
        GitCommand.Ok(work, "commit", "--quiet", "-m", message);
        return work;
    }

    public static void Write(string work, IReadOnlyDictionary<string, string> files)
    {
        foreach (var (path, content) in files)
        {
            var full = Path.Combine(work, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, content);
        }
    }
}

/// <summary>The git command line, isolated from the machine's configuration, never prompting, with its exit code and output.</summary>
public static class GitCommand
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    public static Result Run(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "credential.helper=" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        start.Environment["GIT_ASKPASS"] = "/bin/false";
        start.Environment["GIT_AUTHOR_NAME"] = "DevMentor Tests";
        start.Environment["GIT_AUTHOR_EMAIL"] = "tests@devmentor.invalid";
        start.Environment["GIT_COMMITTER_NAME"] = "DevMentor Tests";
        start.Environment["GIT_COMMITTER_EMAIL"] = "tests@devmentor.invalid";
        foreach (var proxy in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" })
        {
            start.Environment.Remove(proxy);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"git {string.Join(' ', args)} did not finish in 2 minutes");
        }

        return new Result(process.ExitCode, stdout.Result.Trim(), stderr.Result.Trim());
    }

    public static string Ok(string directory, params string[] args)
    {
        var result = Run(directory, args);
        Assert.True(result.ExitCode == 0, $"git {string.Join(' ', args)} failed ({result.ExitCode}): {result.Errors}");
        return result.Output;
    }
}
