using System.Net;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Composition;

public sealed class CustomHandlerModeTests
{
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
