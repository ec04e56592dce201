namespace DevMentor.Core.Tasks;

/// <summary>A provider's issues (GitHub, GitLab), as two-way sync needs them; implemented by the integrations.</summary>
public interface IIssueTracker
{
    /// <summary>github or gitlab: the project's repository.provider this tracker serves.</summary>
    string Provider { get; }

    /// <param name="repository">owner/name (GitLab: the project's path with namespace).</param>
    Task<ExternalIssue> CreateAsync(string repository, TaskFields fields, CancellationToken cancellationToken);

    Task<ExternalIssue> UpdateAsync(string repository, int issueNumber, TaskFields fields, CancellationToken cancellationToken);
}

/// <summary>The provider refused or could not be reached; the message names what was being done and never holds a secret.</summary>
public sealed class IssueTrackerException(string message, Exception? inner = null) : Exception(message, inner);
