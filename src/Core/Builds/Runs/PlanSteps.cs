using DevMentor.Core.Pipelines;

namespace DevMentor.Core.Builds.Runs;

/// <param name="Definition">The steps appended to the run after clone, in order.</param>
/// <param name="LeftOut">Steps of the plan whose <c>when</c> does not match this run, with why.</param>
public sealed record MappedPlan(PipelineDefinition Definition, IReadOnlyList<string> LeftOut);

/// <summary>
/// <see cref="BuildPlan"/> → the engine's step definitions: the one place that decides which
/// step carries the reports and artifacts, how retries map and where the image step goes.
/// </summary>
public static class PlanSteps
{
    public const string CloneStep = "clone";
    public const string ImageStep = "image";
    public const string TestStep = "test";

    public static MappedPlan Map(BuildPlan plan, string? branch, BuildEvent buildEvent)
    {
        var steps = new List<StepDefinition>();
        var leftOut = new List<string>();
        foreach (var planned in plan.Steps)
        {
            if (planned.Name is CloneStep or ImageStep)
            {
                leftOut.Add($"{planned.Name}: the name is reserved for the built-in step");
                continue;
            }

            if (planned.When is { } when && !when.Matches(branch, buildEvent))
            {
                leftOut.Add($"{planned.Name}: its when does not match branch {branch ?? "(none)"} and event {EventName(buildEvent)}");
                continue;
            }

            steps.Add(new StepDefinition(
                planned.Name,
                planned.Commands,
                planned.TimeoutSeconds,
                planned.Retries is { } retries ? new RetryPolicy(MaxAttempts: retries + 1) : null,
                Env: planned.Env is { Count: > 0 } env ? env : null,
                Artifacts: planned.Artifacts is { Count: > 0 } artifacts ? artifacts : null,
                Reports: planned.Name == TestStep ? [.. plan.TestReports, .. plan.CoverageReports] : null));
        }

        // The build's own outputs are kept by the last command step, once everything produced them.
        if (plan.Artifacts.Count > 0 && steps.Count > 0)
        {
            var last = steps[^1];
            steps[^1] = last with { Artifacts = [.. (last.Artifacts ?? []).Concat(plan.Artifacts).Distinct(StringComparer.Ordinal)] };
        }

        if (plan.Image is { } image)
        {
            steps.Add(new StepDefinition(ImageStep, [], Uses: ImageStep, With: new Dictionary<string, string>
            {
                ["file"] = image.File,
                ["context"] = image.ContextDir,
                ["tags"] = string.Join(',', image.Tags),
            }));
        }

        return new MappedPlan(new PipelineDefinition(steps), leftOut);
    }

    /// <summary>The run's trigger as a <c>when.events</c> value: webhooks say push/pull_request/tag, everything else is manual.</summary>
    public static BuildEvent EventFor(string? trigger) => trigger switch
    {
        "push" => BuildEvent.Push,
        "pull_request" or "merge_request" => BuildEvent.PullRequest,
        "tag" => BuildEvent.Tag,
        _ => BuildEvent.Manual,
    };

    private static string EventName(BuildEvent buildEvent) => buildEvent switch
    {
        BuildEvent.Push => "push",
        BuildEvent.PullRequest => "pull_request",
        BuildEvent.Tag => "tag",
        _ => "manual",
    };
}
