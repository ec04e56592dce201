namespace DevMentor.Core.Pipelines;

public enum RunStatus
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
    TimedOut,
}

public enum StepStatus
{
    Pending,
    Queued,
    Running,
    Succeeded,
    Failed,
    Skipped,
    Canceled,
    TimedOut,
}

/// <summary>The wire and database spelling of the states (snake_case), in one place.</summary>
public static class PipelineStatusNames
{
    public static string ToWire(this RunStatus status) => status switch
    {
        RunStatus.Queued => "queued",
        RunStatus.Running => "running",
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.Canceled => "canceled",
        RunStatus.TimedOut => "timed_out",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static string ToWire(this StepStatus status) => status switch
    {
        StepStatus.Pending => "pending",
        StepStatus.Queued => "queued",
        StepStatus.Running => "running",
        StepStatus.Succeeded => "succeeded",
        StepStatus.Failed => "failed",
        StepStatus.Skipped => "skipped",
        StepStatus.Canceled => "canceled",
        StepStatus.TimedOut => "timed_out",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    public static bool TryParseRun(string? value, out RunStatus status)
    {
        foreach (var candidate in Enum.GetValues<RunStatus>())
        {
            if (candidate.ToWire() == value)
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }

    public static RunStatus ParseRun(string value) =>
        TryParseRun(value, out var status) ? status : throw new FormatException($"Unknown run status '{value}'.");

    public static StepStatus ParseStep(string value)
    {
        foreach (var candidate in Enum.GetValues<StepStatus>())
        {
            if (candidate.ToWire() == value)
            {
                return candidate;
            }
        }

        throw new FormatException($"Unknown step status '{value}'.");
    }
}
