using DevMentor.Core.Builds.Config;

namespace DevMentor.Core.Builds;

/// <summary>
/// Applies <c>.devmentor.yml</c> to the detected plan. A config step named like a detected one
/// overrides only the fields it sets (so <c>timeout: 20m</c> alone keeps the detected commands);
/// a new step goes where the config lists it relative to the steps around it.
/// </summary>
public static class BuildPlanMerger
{
    private const string Source = DevMentorConfigParser.FileName;

    public static BuildPlan Merge(BuildPlan detected, DevMentorConfig config)
    {
        var notes = detected.Notes.ToList();
        var steps = config.Detect ? detected.Steps.ToList() : [];
        var artifacts = config.Detect ? detected.Artifacts.ToList() : [];
        if (!config.Detect)
        {
            notes.Add(new DetectionNote("config", Source, "detect: false — only the steps of .devmentor.yml run"));
        }

        var cursor = -1;
        for (var i = 0; i < config.Steps.Count; i++)
        {
            var step = config.Steps[i];
            var index = steps.FindIndex(s => s.Name == step.Name);
            if (index >= 0)
            {
                if (step.Skip)
                {
                    steps.RemoveAt(index);
                    notes.Add(new DetectionNote("config", Source, $"step '{step.Name}' skipped"));
                    cursor = index - 1;
                    continue;
                }

                steps[index] = Override(steps[index], step);
                notes.Add(new DetectionNote("config", Source, $"step '{step.Name}' {(step.Commands is null ? "adjusted" : "commands replaced")}"));
                cursor = index;
                continue;
            }

            if (step.Skip)
            {
                continue;
            }

            if (step.Commands is not { Count: > 0 })
            {
                // The parser cannot know which names will be detected; an added step without commands is meaningless.
                throw new DevMentorConfigException(Source, [new ConfigProblem(1, 1, $"step '{step.Name}' is not a detected step ({string.Join(", ", detected.Steps.Select(s => s.Name).DefaultIfEmpty("none detected"))}), so it needs commands.")]);
            }

            var position = cursor >= 0 ? cursor + 1 : InsertBeforeNextKnown(steps, config.Steps, i);
            steps.Insert(position, New(step));
            notes.Add(new DetectionNote("config", Source, $"step '{step.Name}' added"));
            cursor = position;
        }

        artifacts.AddRange(config.Artifacts);
        artifacts.AddRange(steps.SelectMany(s => s.Artifacts ?? []));
        return detected with
        {
            Steps = steps,
            Notes = notes,
            Artifacts = artifacts.Distinct().ToList(),
            Image = MergeImage(config.Detect ? detected.Image : null, config.Image, notes),
            Deploy = config.Deploy,
        };
    }

    private static int InsertBeforeNextKnown(List<PlannedStep> steps, IReadOnlyList<ConfigStep> configSteps, int from)
    {
        for (var j = from + 1; j < configSteps.Count; j++)
        {
            var index = steps.FindIndex(s => s.Name == configSteps[j].Name);
            if (index >= 0)
            {
                return index;
            }
        }

        return steps.Count;
    }

    private static PlannedStep Override(PlannedStep detected, ConfigStep step) => detected with
    {
        Commands = step.Commands ?? detected.Commands,
        Source = step.Commands is null ? $"{detected.Source}; adjusted by {Source}" : Source,
        // Commands written by the user replace the "toolchain missing" failure with whatever they asked for.
        MissingToolchain = step.Commands is null ? detected.MissingToolchain : null,
        Env = step.Env is null ? detected.Env : MergeEnv(detected.Env, step.Env),
        TimeoutSeconds = step.TimeoutSeconds ?? detected.TimeoutSeconds,
        Retries = step.Retries ?? detected.Retries,
        When = step.When ?? detected.When,
        Artifacts = step.Artifacts ?? detected.Artifacts,
    };

    private static PlannedStep New(ConfigStep step) =>
        new(step.Name, step.Commands!, Source, step.Env, step.TimeoutSeconds, step.Retries, step.When, step.Artifacts);

    private static Dictionary<string, string> MergeEnv(IReadOnlyDictionary<string, string>? detected, IReadOnlyDictionary<string, string> config)
    {
        var env = new Dictionary<string, string>(detected ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (name, value) in config)
        {
            env[name] = value;
        }

        return env;
    }

    private static ImagePlan? MergeImage(ImagePlan? detected, ConfigImage? config, List<DetectionNote> notes)
    {
        if (config is null)
        {
            return detected;
        }

        if (config.Disabled)
        {
            notes.Add(new DetectionNote("config", Source, "image: false — no container image"));
            return null;
        }

        if (config.File is null && detected is null)
        {
            notes.Add(new DetectionNote("config", Source, "image settings given but no Containerfile/Dockerfile found and no image.file set: no container image"));
            return null;
        }

        return new ImagePlan(config.Context ?? detected?.ContextDir ?? ".", config.File ?? detected!.File, config.Tags, Source);
    }
}
