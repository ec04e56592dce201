using System.Net;
using {{namespace}};
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace {{namespace}}.Tests;

public class RoutesTests
{
    [Fact]
    public void Greeting_names_who_it_greets() => Assert.Equal("Hello, you!", Routes.Greeting("you"));

    [Fact]
    public async Task Health_answers_ok_on_a_real_port()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        Routes.Map(app);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        using var response = await client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"ok\"", await response.Content.ReadAsStringAsync());
        await app.StopAsync();
    }
}
