using DevMentor.Core.Pipelines;

namespace DevMentor.Core.Tests.Pipelines;

public sealed class RetryBackoffTests
{
    [Theory]
    [InlineData(1, 5_000)]
    [InlineData(2, 10_000)]
    [InlineData(3, 20_000)]
    [InlineData(4, 40_000)]
    public void Default_schedule_doubles_from_five_seconds_without_jitter(int failedAttempt, double expectedMs)
    {
        var delay = RetryBackoff.Delay(failedAttempt, TimeSpan.FromSeconds(5), 2, jitter: 0.2, random01: 0.5);

        Assert.Equal(expectedMs, delay.TotalMilliseconds, precision: 3);
    }

    [Theory]
    [InlineData(0.0, 4_000)]
    [InlineData(0.999999, 6_000)]
    public void Jitter_moves_the_delay_by_at_most_its_fraction(double random, double expectedMs)
    {
        var delay = RetryBackoff.Delay(1, TimeSpan.FromSeconds(5), 2, jitter: 0.2, random01: random);

        Assert.Equal(expectedMs, delay.TotalMilliseconds, precision: 0);
    }

    [Fact]
    public void Attempts_start_at_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RetryBackoff.Delay(0, TimeSpan.FromSeconds(1), 2, 0, 0.5));
    }

    [Fact]
    public void Huge_exponents_are_capped()
    {
        Assert.Equal(TimeSpan.FromHours(6), RetryBackoff.Delay(60, TimeSpan.FromSeconds(5), 10, 0, 0.5));
    }
}
