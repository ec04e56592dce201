using DevMentor.Functions.Hosting.Standalone;
using Microsoft.AspNetCore.Hosting;

namespace DevMentor.Functions.Tests.Hosting;

public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("", "http://127.0.0.1:3004")]
    [InlineData("--urls=http://127.0.0.1:5123", "http://127.0.0.1:5123")]
    public async Task The_standalone_host_listens_on_3004_unless_urls_says_otherwise(string argument, string expected)
    {
        string[] args = argument.Length == 0 ? [] : [argument];
        await using var app = StandaloneHost.Build(StandaloneHost.CreateBuilder(args, Directory.CreateTempSubdirectory("listen-").FullName));

        Assert.Equal(expected, app.Configuration[WebHostDefaults.ServerUrlsKey]);
    }
}
