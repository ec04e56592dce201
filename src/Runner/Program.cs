using DevMentor.Runner;

// DevMentor.Runner: executes pipeline steps on this machine for a DevMentor Project Service,
// through its runner API, with the same step code as the service's embedded runner.
//   dotnet DevMentor.Runner.dll --Runner:Server=http://host:3004 --Runner:RegistrationToken=... [--Runner:Labels=linux,docker] [--Runner:Workers=2]
var builder = Host.CreateApplicationBuilder(args);
RemoteRunnerSettings settings;
try
{
    settings = RemoteRunnerSettings.Load(builder.Configuration);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"devmentor-runner: invalid configuration: {e.Message}");
    return 2;
}

var (registry, registryProblems) = DevMentor.Core.Builds.Images.RegistryConfiguration.Read(builder.Configuration, Path.Combine(settings.Options.WorkDirectory, ".buildah"));
if (registryProblems.Count > 0)
{
    await Console.Error.WriteLineAsync($"devmentor-runner: invalid configuration: {string.Join(" ", registryProblems)}");
    return 2;
}

builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.UseUtcTimestamp = true;
    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
});
builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
builder.Services.AddSingleton(settings);
// The same built-in steps as the embedded runner: clone (plans the run) and image (buildah, Registry:*).
builder.Services.AddSingleton(DevMentor.Core.Builds.Runs.BuildStepConfiguration.Settings(builder.Configuration));
builder.Services.AddSingleton<DevMentor.Core.Builds.Git.GitCheckout>();
builder.Services.AddSingleton<DevMentor.Core.Pipelines.Execution.IBuiltInStep, DevMentor.Core.Builds.Runs.CloneStep>();
builder.Services.AddSingleton(registry);
builder.Services.AddSingleton<DevMentor.Core.Pipelines.Execution.IBuiltInStep, DevMentor.Core.Builds.Images.ImageBuildStep>();
builder.Services.AddHostedService<RemoteRunner>();
using var host = builder.Build();
await host.RunAsync();
return Environment.ExitCode;
