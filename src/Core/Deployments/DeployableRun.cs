using System.Text.Json;
using DevMentor.Core.Builds;
using DevMentor.Core.Data;
using Npgsql;

namespace DevMentor.Core.Deployments;

/// <summary>What a deployment needs from a run: its identity, the environments its .devmentor.yml declared, its pushed image.</summary>
/// <param name="Environments">From the clone step's output <c>deploy.environments</c>; empty when none were declared.</param>
public sealed record DeployableRun(
    Guid RunId,
    Guid ProjectId,
    int Number,
    string Status,
    string Trigger,
    string? Branch,
    string? Commit,
    bool Deploy,
    string? Environment,
    IReadOnlyList<DeployEnvironment> Environments,
    string? Image,
    string? Digest)
{
    public BuildEvent Event => Trigger switch
    {
        "push" => BuildEvent.Push,
        "tag" => BuildEvent.Tag,
        "pull_request" or "merge_request" => BuildEvent.PullRequest,
        _ => BuildEvent.Manual,
    };
}

/// <summary>Reads runs straight from the pipeline tables (as the commit-status reporter does).</summary>
public sealed class DeployableRuns(Database database)
{
    public const string EnvironmentsOutput = "deploy.environments";

    private const string Select = """
        SELECT r.id, r.project_id, r.number, r.status, r.trigger, r.branch, r.commit_sha, r.deploy, r.environment,
               (SELECT s.outputs::text FROM pipeline_steps s WHERE s.run_id = r.id AND s.name = 'clone'),
               (SELECT s.outputs::text FROM pipeline_steps s WHERE s.run_id = r.id AND s.name = 'image' AND s.status = 'succeeded')
        FROM pipeline_runs r
        """;

    public async Task<DeployableRun?> GetAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand(Select + " WHERE r.id = $1");
        read.Parameters.AddWithValue(runId);
        return await ReadAsync(read, cancellationToken);
    }

    public async Task<DeployableRun?> LatestSucceededAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand(Select + " WHERE r.project_id = $1 AND r.status = 'succeeded' ORDER BY r.number DESC LIMIT 1");
        read.Parameters.AddWithValue(projectId);
        return await ReadAsync(read, cancellationToken);
    }

    private static async Task<DeployableRun?> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var clone = Outputs(reader, 9);
        var image = Outputs(reader, 10);
        return new DeployableRun(
            reader.GetGuid(0), reader.GetGuid(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetBoolean(7),
            reader.IsDBNull(8) ? null : reader.GetString(8),
            clone.TryGetValue(EnvironmentsOutput, out var json) ? DeployEnvironmentJson.Parse(json) : [],
            image.GetValueOrDefault("image"), image.GetValueOrDefault("digest"));
    }

    private static Dictionary<string, string> Outputs(NpgsqlDataReader reader, int ordinal)
    {
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (reader.IsDBNull(ordinal))
        {
            return outputs;
        }

        using var json = JsonDocument.Parse(reader.GetString(ordinal));
        if (json.RootElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in json.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String))
            {
                outputs[property.Name] = property.Value.GetString()!;
            }
        }

        return outputs;
    }
}
