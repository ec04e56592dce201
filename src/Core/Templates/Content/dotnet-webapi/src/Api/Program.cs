using {{namespace}};

var builder = WebApplication.CreateBuilder(args);
var port = Environment.GetEnvironmentVariable("PORT");
if (!string.IsNullOrEmpty(port))
{
    // The local deploy target gives the port; HOST=0.0.0.0 in the image.
    builder.WebHost.UseUrls($"http://{Environment.GetEnvironmentVariable("HOST") ?? "127.0.0.1"}:{port}");
}

var app = builder.Build();
Routes.Map(app);
app.Run();
