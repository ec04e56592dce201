using DevMentor.Core.Scheduling;
using DevMentor.Functions.Composition;

namespace DevMentor.Functions.Catalog;

/// <summary><c>DevMentor.Functions manifest --out DIR</c>: the deployment manifest, without starting anything.</summary>
public static class ManifestCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var outIndex = Array.IndexOf(args, "--out");
        if (outIndex < 0 || outIndex + 1 >= args.Length)
        {
            await Console.Error.WriteLineAsync("usage: DevMentor.Functions manifest --out DIR");
            return 2;
        }

        var directory = Path.GetFullPath(args[outIndex + 1]);
        var rest = args.Where((_, i) => i != outIndex && i != outIndex + 1).ToArray();
        try
        {
            await using var app = DevMentorApp.Build(DevMentorApp.CreateBuilder(rest));
            var catalog = FunctionCatalog.From(app, app.Services.GetRequiredService<TimerCatalog>());
            ManifestWriter.Write(catalog, directory);
            await Console.Out.WriteLineAsync($"Wrote host.json and {catalog.Http.Count} HTTP + {catalog.Timers.Count} timer functions to {directory}");
            return 0;
        }
        catch (InvalidConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"devmentor: invalid configuration: {e.Message}");
            return 2;
        }
    }
}
