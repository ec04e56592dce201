using DevMentor.Functions.Catalog;
using DevMentor.Functions.Composition;

// `manifest --out DIR` writes the Azure Functions deployment manifest and exits; anything else runs the service.
if (args is ["manifest", .. var manifestArgs])
{
    return await ManifestCommand.RunAsync(manifestArgs);
}

WebApplication app;
try
{
    app = DevMentorApp.Build(DevMentorApp.CreateBuilder(args));
}
catch (InvalidConfigurationException e)
{
    await Console.Error.WriteLineAsync($"devmentor: invalid configuration: {e.Message}");
    return 2;
}

return await DevMentorApp.RunAsync(app);

public partial class Program;
