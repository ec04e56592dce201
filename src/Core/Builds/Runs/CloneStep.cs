using DevMentor.Core.Builds.Config;
using DevMentor.Core.Builds.Detection;
using DevMentor.Core.Builds.Git;
using DevMentor.Core.Pipelines;
using DevMentor.Core.Pipelines.Execution;

namespace DevMentor.Core.Builds.Runs;

/// <summary>
/// The first step of a repository's run (<c>uses: clone</c>): checks out the run's commit, reads
/// <c>.devmentor.yml</c> and detects the build, and hands the planned steps back to be appended to
/// the run. An invalid config fails here, before any of the repository's commands runs.
/// </summary>
/// <param name="registry">
/// The service's registry settings: with no registry (Registry:Url unset) a planned image step is left
/// out with a note instead of failing every build of a repository that has a Containerfile (a project
/// made from a template builds green before anyone configured a registry). Null (a remote runner):
/// the image step stays, and says itself what it needs.
/// </param>
public sealed class CloneStep(GitCheckout git, BuildStepSettings settings, Images.RegistryOptions? registry = null) : IBuiltInStep
{
    public const string DeployEnvironmentsOutput = "deploy.environments";

    public string Name => PlanSteps.CloneStep;

    public async Task<StepResult> RunAsync(BuiltInStepContext context, CancellationToken cancellationToken)
    {
        var with = context.Step.Step.With ?? new Dictionary<string, string>();
        if (!with.TryGetValue("url", out var url) || string.IsNullOrWhiteSpace(url))
        {
            context.Log("[devmentor] the clone step needs with.url");
            return new StepResult(StepResultKind.Failed, 1, "the clone step needs with.url");
        }

        var branch = context.Step.Branch ?? with.GetValueOrDefault("branch");
        GitCheckoutResult checkout;
        try
        {
            checkout = await git.CloneAsync(url, context.Step.Commit, branch, context.Workspace, settings.GitCredentials, settings.CloneLimits, context.Log, cancellationToken);
        }
        catch (GitCheckoutException e)
        {
            return new StepResult(e.InfrastructureFailure ? StepResultKind.InfrastructureError : StepResultKind.Failed,
                e.InfrastructureFailure ? null : 1, $"clone failed ({e.Failure}): {e.Message}");
        }

        BuildPlan plan;
        try
        {
            var path = context.Environment.GetValueOrDefault("PATH");
            plan = await BuildPlanner.PlanAsync(context.Workspace, new Toolchains(path), cancellationToken);
        }
        catch (DevMentorConfigException e)
        {
            foreach (var line in e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                context.Log(line);
            }

            context.Log("[devmentor] the run stops here: nothing of the repository was run");
            return new StepResult(StepResultKind.Failed, 1, e.Message.ReplaceLineEndings("; "));
        }

        foreach (var note in plan.Notes)
        {
            context.Log($"[devmentor] detected {note}");
        }

        var mapped = PlanSteps.Map(plan, checkout.Branch ?? branch, PlanSteps.EventFor(with.GetValueOrDefault("event")));
        if (registry is { Url: null } && mapped.Definition.Steps.Any(s => s.Name == PlanSteps.ImageStep))
        {
            mapped = new MappedPlan(new PipelineDefinition([.. mapped.Definition.Steps.Where(s => s.Name != PlanSteps.ImageStep)]),
                [.. mapped.LeftOut, $"{PlanSteps.ImageStep}: no registry to push it to (set Registry:Url)"]);
        }

        foreach (var leftOut in mapped.LeftOut)
        {
            context.Log($"[devmentor] left out {leftOut}");
        }

        context.Log(mapped.Definition.Steps.Count == 0
            ? "[devmentor] nothing to build was detected"
            : $"[devmentor] planned: {string.Join(" → ", mapped.Definition.Steps.Select(s => s.Name))}");

        var outputs = new Dictionary<string, string>(StringComparer.Ordinal) { ["commit"] = checkout.CommitSha };
        if ((checkout.Branch ?? branch) is { } cloned)
        {
            outputs["branch"] = cloned;
        }

        if (plan.Deploy.Count > 0)
        {
            outputs[DeployEnvironmentsOutput] = System.Text.Json.JsonSerializer.Serialize(plan.Deploy, BuildRunJsonContext.Default.IReadOnlyListDeployEnvironment);
        }

        // Only a run that has nothing but clone gets a plan: a retried run keeps the steps pinned in
        // its definition, and restoring a later step's workspace needs only the checkout.
        var planning = context.Step.Definition.Steps.Count == 1;
        return StepResult.Success(outputs) with { Plan = planning && mapped.Definition.Steps.Count > 0 ? mapped.Definition : null };
    }
}
