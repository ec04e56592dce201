namespace {{namespace}};

public static class Routes
{
    public const string Name = "{{projectName}}";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => Results.Json(new { status = "ok" }));
        app.MapGet("/", () => Results.Json(new { name = Name, message = Greeting("world") }));
    }

    public static string Greeting(string who) => $"Hello, {who}!";
}
