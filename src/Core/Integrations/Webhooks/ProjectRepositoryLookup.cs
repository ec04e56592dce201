using System.Text.Json;
using DevMentor.Core.Data;
using DevMentor.Core.Projects;

namespace DevMentor.Core.Integrations.Webhooks;

/// <summary>The projects (not archived) whose repository is the one a webhook names.</summary>
public sealed class ProjectRepositoryLookup(Database database) : IRepositoryProjects
{
    public async Task<IReadOnlyList<LinkedProject>> FindAsync(string provider, string fullName, CancellationToken cancellationToken)
    {
        // The handlers check names before they get here; a null would only fail later, as a parameter error.
        ArgumentException.ThrowIfNullOrEmpty(provider);
        ArgumentException.ThrowIfNullOrEmpty(fullName);
        await using var find = database.DataSource.CreateCommand("""
            SELECT id, repository->>'defaultBranch', settings::text
            FROM projects
            WHERE archived_at IS NULL AND repository->>'provider' = $1 AND lower(repository->>'fullName') = lower($2)
            """);
        find.Parameters.AddWithValue(provider);
        find.Parameters.AddWithValue(fullName);
        await using var reader = await find.ExecuteReaderAsync(cancellationToken);
        var projects = new List<LinkedProject>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var settings = JsonSerializer.Deserialize(reader.GetString(2), ProjectsJsonContext.Default.ProjectSettings) ?? ProjectSettings.Default;
            projects.Add(new LinkedProject(reader.GetGuid(0), reader.IsDBNull(1) ? "main" : reader.GetString(1), settings.BuildBranches ?? [], settings.BuildTags ?? []));
        }

        return projects;
    }
}
