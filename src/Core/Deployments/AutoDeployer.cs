using DevMentor.Core.Builds;
using Microsoft.Extensions.Logging;

namespace DevMentor.Core.Deployments;

/// <summary>
/// Deploys green runs without another request: a run started with deploy=true goes to its
/// environment (or the only one declared), and every run goes to each environment whose
/// <c>when</c> matches its branch and event. Each finished run is claimed once, across instances, in
/// deployment_run_checks, so a restart neither repeats nor loses one.
/// </summary>
public sealed partial class AutoDeployer(PostgresDeploymentStore store, DeployableRuns runs, ILogger<AutoDeployer> logger)
{
    /// <summary>Runs that finished longer ago than this are not looked at (no deploys of old history on a first start).</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);

    /// <returns>How many deployments were queued.</returns>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        var queued = 0;
        foreach (var runId in await store.ClaimFinishedRunsAsync(Window, 50, cancellationToken))
        {
            if (await runs.GetAsync(runId, cancellationToken) is not { } run)
            {
                continue;
            }

            var (targets, outcome) = Targets(run);
            foreach (var environment in targets)
            {
                await store.InsertAsync(new NewDeployment(run.ProjectId, environment.Name, Target(environment), run.RunId, run.Number, "auto", null, null), cancellationToken);
                LogQueued(logger, run.Number, run.ProjectId, environment.Name);
                queued++;
            }

            await store.RecordRunCheckAsync(runId, outcome, cancellationToken);
        }

        return queued;
    }

    public static string Target(DeployEnvironment environment) => environment.Type == DeployType.Local ? "local" : "webhook";

    /// <summary>Which environments a green run goes to, and why (recorded for people).</summary>
    public static (IReadOnlyList<DeployEnvironment> Targets, string Outcome) Targets(DeployableRun run)
    {
        var targets = run.Environments.Where(e => e.When is { } when && when.Matches(run.Branch, run.Event)).ToList();
        var notes = new List<string>();
        if (targets.Count > 0)
        {
            notes.Add("when matched: " + string.Join(", ", targets.Select(e => e.Name)));
        }

        if (run.Deploy)
        {
            var asked = run.Environment is { } name
                ? run.Environments.FirstOrDefault(e => e.Name == name)
                : run.Environments.Count == 1 ? run.Environments[0] : null;
            if (asked is null)
            {
                notes.Add(run.Environment is { } missing ? $"deploy requested, but the run declares no environment '{missing}'" : "deploy requested without an environment, and the run does not declare exactly one");
            }
            else if (!targets.Contains(asked))
            {
                targets.Insert(0, asked);
                notes.Add("deploy requested: " + asked.Name);
            }
        }

        return (targets, notes.Count == 0 ? "no environment deploys this run automatically" : string.Join("; ", notes));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunNumber} of project {ProjectId} deploys to {Environment} automatically")]
    private static partial void LogQueued(ILogger logger, int runNumber, Guid projectId, string environment);
}
