using DevMentor.Core.Pipelines;

namespace DevMentor.Core.Tests.Pipelines;

public sealed class PipelineDefinitionValidatorTests
{
    [Fact]
    public void The_built_in_definition_is_valid_and_restores_clone_and_install()
    {
        Assert.Empty(PipelineDefinitionValidator.Validate(PipelineOptions.BuiltInDefinition));
        Assert.Equal(["clone", "install"], PipelineOptions.BuiltInDefinition.Steps.Where(s => s.RestoresWorkspace).Select(s => s.Name));
    }

    [Fact]
    public void Every_problem_is_reported_with_its_place()
    {
        var definition = new PipelineDefinition(
        [
            new StepDefinition("ok", [["true"]]),
            new StepDefinition("ok", [[]], TimeoutSeconds: 0, Retry: new RetryPolicy(0, -1, 0.5)),
            new StepDefinition("bad name!", [["", "x"]], Requires: [""]),
        ]);

        var problems = PipelineDefinitionValidator.Validate(definition);

        Assert.Contains("steps[1].name: 'ok' is used twice.", problems);
        Assert.Contains(problems, p => p.StartsWith("steps[1].commands[0]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("steps[1].timeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("steps[1].retry.maxAttempts", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("steps[1].retry.firstDelaySeconds", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("steps[1].retry.factor", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("steps[2].name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("steps[2].commands[0]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("steps[2].requires", StringComparison.Ordinal));
    }

    [Fact]
    public void A_definition_needs_a_step()
    {
        Assert.Throws<InvalidPipelineDefinitionException>(() => PipelineDefinitionValidator.EnsureValid(new PipelineDefinition([])));
        Assert.Throws<InvalidPipelineDefinitionException>(() => PipelineDefinitionValidator.EnsureValid(null));
    }
}
