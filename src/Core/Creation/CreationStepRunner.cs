using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Creation;

/// <summary>
/// Runs one step with its state recorded around it: a step that already succeeded answers its
/// detail again without running (an activity replayed after a crash, or a retry passing the steps
/// done); otherwise running → succeeded or failed (with the error, which fails the flow).
/// </summary>
public sealed partial class CreationStepRunner(CreationStore store, CreationWork work, ILogger<CreationStepRunner> logger)
{
    public async Task<string> RunAsync(Guid projectId, string step, CancellationToken cancellationToken)
    {
        var (state, detail) = await store.StartStepAsync(projectId, step, cancellationToken);
        if (state == "succeeded")
        {
            return detail ?? "";
        }

        try
        {
            detail = await work.RunAsync(projectId, step, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await store.FinishStepAsync(projectId, step, succeeded: false, null, e.Message, CancellationToken.None);
            LogFailed(logger, projectId, step, e.Message);
            throw;
        }

        await store.FinishStepAsync(projectId, step, succeeded: true, detail, null, CancellationToken.None);
        LogDone(logger, projectId, step, detail);
        return detail;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Creation of project {ProjectId}: {Step} done ({Detail})")]
    private static partial void LogDone(ILogger logger, Guid projectId, string step, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Creation of project {ProjectId}: {Step} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, Guid projectId, string step, string error);
}
