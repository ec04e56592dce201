using DevMentor.Functions.Composition;
using DevMentor.Functions.Hosting.Standalone;
using DevMentor.Functions.Hosting.Worker;

// Launched by the Azure Functions host: be its isolated worker. Otherwise: the standalone service.
if (WorkerHost.IsWorkerProcess(args))
{
    return await WorkerHost.RunAsync(args);
}

WebApplication app;
try
{
    app = StandaloneHost.Build(StandaloneHost.CreateBuilder(args));
}
catch (InvalidConfigurationException e)
{
    await Console.Error.WriteLineAsync($"devmentor: invalid configuration: {e.Message}");
    return 2;
}

return await StandaloneHost.RunAsync(app);

public partial class Program;
