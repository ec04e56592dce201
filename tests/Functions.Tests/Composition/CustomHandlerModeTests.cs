using System.Net;
using DevMentor.Functions.Composition;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace DevMentor.Functions.Tests.Composition;

public sealed class CustomHandlerModeTests
{
    [Theory]
    [InlineData("", "http://127.0.0.1:3004")]
    [InlineData("--urls=http://127.0.0.1:5123", "http://127.0.0.1:5123")]
    [InlineData("--FUNCTIONS_CUSTOMHANDLER_PORT=7123", "http://127.0.0.1:7123")]
    public async Task The_listen_address_is_3004_unless_urls_or_the_functions_host_say_otherwise(string argument, string expected)
    {
        string[] args = argument.Length == 0 ? [] : [argument];
        await using var app = DevMentorApp.Build(DevMentorApp.CreateBuilder(args, Directory.CreateTempSubdirectory("listen-").FullName));

        Assert.Equal(expected, app.Configuration[WebHostDefaults.ServerUrlsKey]);
    }

    [Fact]
    public async Task Under_the_functions_host_it_listens_on_the_custom_handler_port_and_leaves_timers_to_the_host()
    {
        var workDir = Directory.CreateTempSubdirectory("customhandler-").FullName;
        await using var service = ServiceProcess.Start(workDir, new Dictionary<string, string?>
        {
            ["ConnectionStrings__Postgres"] = await TestPostgres.CreateDatabaseAsync("customhandler"),
        }, asCustomHandler: true);

        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(60));

        Assert.Contains($"listening on http://127.0.0.1:{service.Port} (Azure Functions custom handler)", service.Output, StringComparison.Ordinal);
        using var invocation = new HttpRequestMessage(HttpMethod.Post, "/Housekeeping") { Content = new StringContent("{}") };
        invocation.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        using var response = await service.Client.SendAsync(invocation);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
