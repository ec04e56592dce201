namespace DevMentor.Core.Integrations.Statuses;

/// <summary>A run's state as a repository host shows it on the commit.</summary>
public enum CommitState
{
    Pending,
    Success,
    Failure,
    /// <summary>Canceled, timed out or skipped: final, so required checks never hang.</summary>
    Error,
}

/// <summary>The run behind a commit status, as the pipeline reports it.</summary>
/// <param name="Status">The run's status name (queued, running, succeeded, failed, canceled, timed_out).</param>
public sealed record RunState(Guid RunId, Guid ProjectId, string Status)
{
    public CommitState CommitState => Status switch
    {
        "succeeded" => CommitState.Success,
        "failed" => CommitState.Failure,
        "canceled" or "timed_out" or "skipped" => CommitState.Error,
        _ => CommitState.Pending,
    };

    public bool IsFinal => CommitState != CommitState.Pending;

    public string Description => Status switch
    {
        "queued" => "Build queued",
        "running" => "Build running",
        "succeeded" => "Build succeeded",
        "failed" => "Build failed",
        "canceled" => "Build canceled",
        "timed_out" => "Build timed out",
        _ => $"Build {Status}",
    };
}

/// <summary>Reads the current state of runs (the pipeline's port for status reporting).</summary>
public interface IRunStateSource
{
    Task<IReadOnlyList<RunState>> GetAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken);
}

/// <param name="Context">The status's name on the host; null is the build's (<see cref="CommitStatusContext.Name"/>).</param>
public sealed record CommitStatus(string Repository, string Sha, CommitState State, string Description, Uri TargetUrl, string? Context = null);

/// <summary>Posts a commit status to one repository host (GitHub, GitLab).</summary>
public interface ICommitStatusClient
{
    string Provider { get; }

    Task PostAsync(CommitStatus status, CancellationToken cancellationToken);
}

/// <summary>The status context/name every host shows for our builds.</summary>
public static class CommitStatusContext
{
    public const string Name = "devmentor/build";

    /// <summary>The code sync's analysis summary.</summary>
    public const string Analysis = "devmentor/analysis";
}
