using System.Net;
using System.Text;

namespace DevMentor.Functions.Tests.Deployments;

/// <summary>Who may deploy, roll back and read, and what bad input gets: 4xx problem+json, never a 500.</summary>
public sealed class DeploymentFunctionsTests : IAsyncLifetime
{
    private DeploymentTestKit _kit = null!;

    public async Task InitializeAsync() => _kit = await DeploymentTestKit.StartAsync("deployapi");

    public async Task DisposeAsync() => await _kit.DisposeAsync();

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Only_maintainers_and_owners_deploy_and_roll_back_while_viewers_read_and_strangers_see_nothing()
    {
        var project = await _kit.CreateProjectAsync();
        await _kit.RunAsync(project, new[] { DeploymentTestKit.LocalEnvironment() });
        var body = """{"environment":"staging"}""";

        using (var developer = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/deploy", DeploymentTestKit.Developer, body))
        {
            await AssertProblemAsync(developer, HttpStatusCode.Forbidden, "maintainer");
        }

        using (var viewer = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/deploy", DeploymentTestKit.Viewer, body))
        {
            await AssertProblemAsync(viewer, HttpStatusCode.Forbidden);
        }

        using (var stranger = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/deploy", DeploymentTestKit.Stranger, body))
        {
            await AssertProblemAsync(stranger, HttpStatusCode.NotFound);
        }

        using (var anonymous = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/deploy", null, body))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var strangerList = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments", DeploymentTestKit.Stranger))
        {
            await AssertProblemAsync(strangerList, HttpStatusCode.NotFound);
        }

        // Nothing was accepted by the refusals; the owner may deploy.
        using (var list = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments", DeploymentTestKit.Viewer))
        {
            Assert.Equal(0, (await DeploymentTestKit.JsonAsync(list)).GetProperty("items").GetArrayLength());
        }

        var started = await _kit.DeployAsync(project, "staging", null, DeploymentTestKit.Owner);
        using var rollback = await _kit.SendAsync(HttpMethod.Post, started.GetProperty("statusUri").GetString() + "/rollback", DeploymentTestKit.Developer);
        await AssertProblemAsync(rollback, HttpStatusCode.Forbidden);
    }

    public static TheoryData<string?, string, HttpStatusCode, string> BadBodies => new()
    {
        { null, "application/json", HttpStatusCode.BadRequest, "no body" },
        { "{\"environment\":", "application/json", HttpStatusCode.BadRequest, "well-formed" },
        { "[\"staging\"]", "application/json", HttpStatusCode.BadRequest, "JSON object" },
        { "{}", "application/json", HttpStatusCode.BadRequest, "environment" },
        { "{\"environment\":5}", "application/json", HttpStatusCode.BadRequest, "environment" },
        { "{\"environment\":\"has spaces\"}", "application/json", HttpStatusCode.BadRequest, "environment" },
        { "{\"environment\":\"staging\",\"runId\":\"not-a-uuid\"}", "application/json", HttpStatusCode.BadRequest, "runId" },
        { "{\"environment\":\"staging\",\"runId\":42}", "application/json", HttpStatusCode.BadRequest, "runId" },
        { "{\"environment\":\"staging\",\"force\":true}", "application/json", HttpStatusCode.BadRequest, "force" },
        { "{\"environment\":\"staging\",\"environment\":\"x\"}", "application/json", HttpStatusCode.BadRequest, "" },
        { "environment=staging", "application/x-www-form-urlencoded", HttpStatusCode.UnsupportedMediaType, "application/json" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_deploy_bodies_get_a_4xx_problem(string? body, string mediaType, HttpStatusCode status, string detail)
    {
        var project = await _kit.CreateProjectAsync();
        using var request = Infrastructure.TestAuth.Request(HttpMethod.Post, $"/projects/{project}/deploy", DeploymentTestKit.Maintainer);
        request.Content = new StringContent(body ?? "", Encoding.UTF8, mediaType);

        using var response = await _kit.App.Client.SendAsync(request);

        await AssertProblemAsync(response, status, detail);
    }

    [Fact]
    public async Task Unknown_environments_runs_and_deployments_are_404_and_undeployable_states_409()
    {
        var project = await _kit.CreateProjectAsync();
        var url = $"/projects/{project}/deploy";

        using (var noRun = await _kit.SendAsync(HttpMethod.Post, url, DeploymentTestKit.Maintainer, """{"environment":"staging"}"""))
        {
            await AssertProblemAsync(noRun, HttpStatusCode.Conflict, "no succeeded build");
        }

        var failed = await _kit.RunAsync(project, new[] { DeploymentTestKit.LocalEnvironment() }, succeed: false);
        using (var failedRun = await _kit.SendAsync(HttpMethod.Post, url, DeploymentTestKit.Maintainer, $$"""{"environment":"staging","runId":"{{failed.RunId}}"}"""))
        {
            await AssertProblemAsync(failedRun, HttpStatusCode.Conflict, "failed");
        }

        using (var otherRun = await _kit.SendAsync(HttpMethod.Post, url, DeploymentTestKit.Maintainer, $$"""{"environment":"staging","runId":"{{Guid.NewGuid()}}"}"""))
        {
            await AssertProblemAsync(otherRun, HttpStatusCode.NotFound, "no build");
        }

        await _kit.RunAsync(project, new[] { DeploymentTestKit.LocalEnvironment() });
        using (var unknown = await _kit.SendAsync(HttpMethod.Post, url, DeploymentTestKit.Maintainer, """{"environment":"production"}"""))
        {
            await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "declared: staging");
        }

        using (var missing = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments/{Guid.NewGuid()}", DeploymentTestKit.Viewer))
        {
            await AssertProblemAsync(missing, HttpStatusCode.NotFound);
        }

        using (var rollbackMissing = await _kit.SendAsync(HttpMethod.Post, $"/projects/{project}/deployments/{Guid.NewGuid()}/rollback", DeploymentTestKit.Maintainer))
        {
            await AssertProblemAsync(rollbackMissing, HttpStatusCode.NotFound);
        }

        using (var badLimit = await _kit.SendAsync(HttpMethod.Get, $"/projects/{project}/deployments?limit=0", DeploymentTestKit.Viewer))
        {
            await AssertProblemAsync(badLimit, HttpStatusCode.BadRequest, "limit");
        }

        // The first release has nothing before it to roll back to. It has no artifacts either, so it fails: still nothing healthy.
        var first = await _kit.WaitForDeploymentAsync((await _kit.DeployAsync(project, "staging", null)).GetProperty("statusUri").GetString()!);
        Assert.Equal("failed", first.GetProperty("status").GetString());
        Assert.Contains("no artifacts", first.GetProperty("error").GetString(), StringComparison.Ordinal);
        using var rollback = await _kit.SendAsync(HttpMethod.Post, first.GetProperty("rollbackUri").GetString()!, DeploymentTestKit.Maintainer);
        await AssertProblemAsync(rollback, HttpStatusCode.Conflict, "no healthy release");
    }
}
