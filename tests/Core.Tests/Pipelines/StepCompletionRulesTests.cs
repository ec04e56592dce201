using DevMentor.Core.Pipelines;

namespace DevMentor.Core.Tests.Pipelines;

public sealed class StepCompletionRulesTests
{
    private static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(attempt * 100);

    [Fact]
    public void Success_with_a_next_step_keeps_the_run_going()
    {
        var decision = StepCompletionRules.Decide(StepResult.Success(), 1, 3, hasNextStep: true, Backoff);

        Assert.Equal(new StepDecision(StepStatus.Succeeded, null, null, null), decision);
    }

    [Fact]
    public void Success_of_the_last_step_succeeds_the_run()
    {
        var decision = StepCompletionRules.Decide(StepResult.Success(), 1, 3, hasNextStep: false, Backoff);

        Assert.Equal(RunStatus.Succeeded, decision.RunEnds);
    }

    [Fact]
    public void A_non_zero_exit_is_final_even_with_attempts_left()
    {
        var decision = StepCompletionRules.Decide(new StepResult(StepResultKind.Failed, 3), 1, 3, hasNextStep: true, Backoff);

        Assert.Equal(StepStatus.Failed, decision.StepStatus);
        Assert.Equal(RunStatus.Failed, decision.RunEnds);
        Assert.Null(decision.RetryIn);
        Assert.Contains("3", decision.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_timeout_is_final_and_times_out_the_run()
    {
        var decision = StepCompletionRules.Decide(new StepResult(StepResultKind.TimedOut), 1, 3, hasNextStep: true, Backoff);

        Assert.Equal((StepStatus.TimedOut, RunStatus.TimedOut), (decision.StepStatus, decision.RunEnds));
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    public void Infrastructure_errors_are_retried_with_the_backoff_of_the_failed_attempt(int attempt, int seconds)
    {
        var decision = StepCompletionRules.Decide(new StepResult(StepResultKind.InfrastructureError, Error: "lost"), attempt, 3, hasNextStep: true, Backoff);

        Assert.Equal(StepStatus.Queued, decision.StepStatus);
        Assert.Equal(TimeSpan.FromSeconds(seconds), decision.RetryIn);
        Assert.Null(decision.RunEnds);
    }

    [Fact]
    public void The_last_attempt_of_an_infrastructure_error_fails_the_run()
    {
        var decision = StepCompletionRules.Decide(new StepResult(StepResultKind.InfrastructureError, Error: "lost"), 3, 3, hasNextStep: true, Backoff);

        Assert.Equal(StepStatus.Failed, decision.StepStatus);
        Assert.Equal(RunStatus.Failed, decision.RunEnds);
        Assert.Equal("gave up after 3 attempts: lost", decision.Error);
    }
}
