using DevMentor.Core.Pipelines;

namespace DevMentor.Core.Tests.Pipelines;

public sealed class PipelineStateMachineTests
{
    // The legal moves, written out independently of the implementation's table.
    private static readonly HashSet<(RunStatus, RunStatus)> LegalRunMoves =
    [
        (RunStatus.Queued, RunStatus.Running),
        (RunStatus.Queued, RunStatus.Canceled),
        (RunStatus.Running, RunStatus.Succeeded),
        (RunStatus.Running, RunStatus.Failed),
        (RunStatus.Running, RunStatus.Canceled),
        (RunStatus.Running, RunStatus.TimedOut),
    ];

    private static readonly HashSet<(StepStatus, StepStatus)> LegalStepMoves =
    [
        (StepStatus.Pending, StepStatus.Queued),
        (StepStatus.Pending, StepStatus.Skipped),
        (StepStatus.Pending, StepStatus.Canceled),
        (StepStatus.Queued, StepStatus.Running),
        (StepStatus.Queued, StepStatus.Skipped),
        (StepStatus.Queued, StepStatus.Canceled),
        (StepStatus.Running, StepStatus.Succeeded),
        (StepStatus.Running, StepStatus.Failed),
        (StepStatus.Running, StepStatus.TimedOut),
        (StepStatus.Running, StepStatus.Canceled),
        (StepStatus.Running, StepStatus.Queued),
    ];

    public static TheoryData<RunStatus, RunStatus> AllRunPairs()
    {
        var data = new TheoryData<RunStatus, RunStatus>();
        foreach (var from in Enum.GetValues<RunStatus>())
        {
            foreach (var to in Enum.GetValues<RunStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    public static TheoryData<StepStatus, StepStatus> AllStepPairs()
    {
        var data = new TheoryData<StepStatus, StepStatus>();
        foreach (var from in Enum.GetValues<StepStatus>())
        {
            foreach (var to in Enum.GetValues<StepStatus>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllRunPairs))]
    public void Run_transition_is_allowed_exactly_when_legal(RunStatus from, RunStatus to)
    {
        var legal = LegalRunMoves.Contains((from, to));

        Assert.Equal(legal, PipelineStateMachine.CanMove(from, to));
        if (legal)
        {
            PipelineStateMachine.EnsureMove(from, to);
        }
        else
        {
            var error = Assert.Throws<IllegalTransitionException>(() => PipelineStateMachine.EnsureMove(from, to));
            Assert.Contains(from.ToWire(), error.Message, StringComparison.Ordinal);
            Assert.Contains(to.ToWire(), error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(AllStepPairs))]
    public void Step_transition_is_allowed_exactly_when_legal(StepStatus from, StepStatus to)
    {
        var legal = LegalStepMoves.Contains((from, to));

        Assert.Equal(legal, PipelineStateMachine.CanMove(from, to));
        if (legal)
        {
            PipelineStateMachine.EnsureMove(from, to);
        }
        else
        {
            Assert.Throws<IllegalTransitionException>(() => PipelineStateMachine.EnsureMove(from, to));
        }
    }

    [Fact]
    public void Terminal_states_are_the_ones_without_a_way_out()
    {
        Assert.Equal(
            [RunStatus.Succeeded, RunStatus.Failed, RunStatus.Canceled, RunStatus.TimedOut],
            Enum.GetValues<RunStatus>().Where(s => s.IsTerminal()));
        Assert.Equal(
            [StepStatus.Succeeded, StepStatus.Failed, StepStatus.Skipped, StepStatus.Canceled, StepStatus.TimedOut],
            Enum.GetValues<StepStatus>().Where(s => s.IsTerminal()));
    }

    [Fact]
    public void Wire_names_round_trip_and_use_snake_case()
    {
        Assert.Equal("timed_out", RunStatus.TimedOut.ToWire());
        Assert.Equal("timed_out", StepStatus.TimedOut.ToWire());
        foreach (var status in Enum.GetValues<RunStatus>())
        {
            Assert.Equal(status, PipelineStatusNames.ParseRun(status.ToWire()));
        }

        foreach (var status in Enum.GetValues<StepStatus>())
        {
            Assert.Equal(status, PipelineStatusNames.ParseStep(status.ToWire()));
        }

        Assert.False(PipelineStatusNames.TryParseRun("Running", out _));
        Assert.Throws<FormatException>(() => PipelineStatusNames.ParseStep("done"));
    }
}
