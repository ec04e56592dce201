namespace DevMentor.Core.Builds.Detection;

/// <summary>Accumulates the commands several ecosystems contribute to the same step (a repo can hold .NET and Node side by side).</summary>
internal sealed class PlanBuilder(Toolchains toolchains)
{
    public static readonly string[] StepOrder = ["install", "test", "build", "package"];

    private readonly Dictionary<string, Accumulator> _steps = new(StringComparer.Ordinal);

    public List<DetectionNote> Notes { get; } = [];
    public List<string> Artifacts { get; } = [];
    public ImagePlan? Image { get; set; }

    public void Note(string ecosystem, string file, string message) => Notes.Add(new DetectionNote(ecosystem, file, message));

    /// <param name="tools">Programs the commands need; when one is missing the commands become a clear failure instead.</param>
    public void Add(string step, string ecosystem, string file, IReadOnlyList<string> tools, IEnumerable<IReadOnlyList<string>> commands, IReadOnlyDictionary<string, string>? env = null)
    {
        if (!_steps.TryGetValue(step, out var accumulator))
        {
            _steps[step] = accumulator = new Accumulator();
        }

        accumulator.Sources.Add(file);
        var missing = tools.Where(t => !toolchains.IsAvailable(t)).ToList();
        if (missing.Count > 0)
        {
            var names = string.Join(", ", missing);
            accumulator.Missing.AddRange(missing.Where(m => !accumulator.Missing.Contains(m)));
            accumulator.Commands.Add(MissingToolchainCommand(
                $"devmentor: the {step} step needs {names} ({ecosystem}, detected from {file}), but {(missing.Count == 1 ? "it is" : "they are")} not installed on this runner (not found on PATH)."));
            return;
        }

        accumulator.Commands.AddRange(commands);
        foreach (var (name, value) in env ?? new Dictionary<string, string>())
        {
            accumulator.Env[name] = value;
        }
    }

    public bool HasStep(string step) => _steps.ContainsKey(step);

    /// <summary>Puts a preparatory command first in a step, unless the step already fails for a missing toolchain.</summary>
    public void Prepend(string step, IReadOnlyList<string> command)
    {
        if (_steps.TryGetValue(step, out var accumulator) && accumulator.Missing.Count == 0)
        {
            accumulator.Commands.Insert(0, command);
        }
    }

    public BuildPlan Build() => new(
        StepOrder.Where(_steps.ContainsKey).Select(name =>
        {
            var a = _steps[name];
            return new PlannedStep(
                name,
                a.Commands,
                "detected: " + string.Join(", ", a.Sources.Distinct()),
                a.Env.Count > 0 ? a.Env : null,
                MissingToolchain: a.Missing.Count > 0 ? string.Join(", ", a.Missing) : null);
        }).ToList(),
        Notes,
        Artifacts.Distinct().ToList(),
        BuildOutputs.TestReportGlobs,
        BuildOutputs.CoverageGlobs,
        Image,
        []);

    /// <summary>
    /// A command that fails with the message on stderr and exit code 127 (the shell's "command not
    /// found"). The message travels as an argument, never inside the script, so nothing in it is interpreted.
    /// </summary>
    public static IReadOnlyList<string> MissingToolchainCommand(string message) =>
        ["sh", "-c", "printf '%s\\n' \"$1\" >&2; exit 127", "devmentor", message];

    private sealed class Accumulator
    {
        public List<IReadOnlyList<string>> Commands { get; } = [];
        public List<string> Sources { get; } = [];
        public List<string> Missing { get; } = [];
        public Dictionary<string, string> Env { get; } = new(StringComparer.Ordinal);
    }
}
