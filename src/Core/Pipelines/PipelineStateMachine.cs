namespace DevMentor.Core.Pipelines;

public sealed class IllegalTransitionException(string message) : InvalidOperationException(message);

/// <summary>
/// The legal moves of runs and steps. The PostgreSQL adapter writes exactly these transitions;
/// every transition it makes is checked here first, so a bug shows up as an exception, not as a
/// run stuck in a state nothing will ever move it out of.
/// </summary>
public static class PipelineStateMachine
{
    private static readonly Dictionary<RunStatus, RunStatus[]> RunMoves = new()
    {
        // queued → running when a concurrency slot frees; canceled before it ever ran.
        [RunStatus.Queued] = [RunStatus.Running, RunStatus.Canceled],
        [RunStatus.Running] = [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Canceled, RunStatus.TimedOut],
        [RunStatus.Succeeded] = [],
        [RunStatus.Failed] = [],
        [RunStatus.Canceled] = [],
        [RunStatus.TimedOut] = [],
    };

    private static readonly Dictionary<StepStatus, StepStatus[]> StepMoves = new()
    {
        // pending → queued when its predecessor succeeded (or its run started); skipped when an
        // earlier step ended the run; canceled with the run.
        [StepStatus.Pending] = [StepStatus.Queued, StepStatus.Skipped, StepStatus.Canceled],
        [StepStatus.Queued] = [StepStatus.Running, StepStatus.Skipped, StepStatus.Canceled],
        // running → queued is an infrastructure retry (lost runner, expired lease, runner error).
        [StepStatus.Running] = [StepStatus.Succeeded, StepStatus.Failed, StepStatus.TimedOut, StepStatus.Canceled, StepStatus.Queued],
        [StepStatus.Succeeded] = [],
        [StepStatus.Failed] = [],
        [StepStatus.Skipped] = [],
        [StepStatus.Canceled] = [],
        [StepStatus.TimedOut] = [],
    };

    public static bool CanMove(RunStatus from, RunStatus to) => RunMoves[from].Contains(to);

    public static bool CanMove(StepStatus from, StepStatus to) => StepMoves[from].Contains(to);

    public static bool IsTerminal(this RunStatus status) => RunMoves[status].Length == 0;

    public static bool IsTerminal(this StepStatus status) => StepMoves[status].Length == 0;

    public static IReadOnlyList<RunStatus> NextStates(RunStatus from) => RunMoves[from];

    public static IReadOnlyList<StepStatus> NextStates(StepStatus from) => StepMoves[from];

    public static void EnsureMove(RunStatus from, RunStatus to)
    {
        if (!CanMove(from, to))
        {
            throw new IllegalTransitionException($"A run cannot move from {from.ToWire()} to {to.ToWire()}.");
        }
    }

    public static void EnsureMove(StepStatus from, StepStatus to)
    {
        if (!CanMove(from, to))
        {
            throw new IllegalTransitionException($"A step cannot move from {from.ToWire()} to {to.ToWire()}.");
        }
    }
}
