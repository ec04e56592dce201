using DevMentor.Core.Data;

namespace DevMentor.Core.Integrations.Statuses;

/// <summary>Run states straight from pipeline_runs, many at once.</summary>
public sealed class PipelineRunStates(Database database) : IRunStateSource
{
    public async Task<IReadOnlyList<RunState>> GetAsync(IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        await using var read = database.DataSource.CreateCommand("SELECT id, project_id, status FROM pipeline_runs WHERE id = ANY($1)");
        read.Parameters.AddWithValue(runIds.ToArray());
        await using var reader = await read.ExecuteReaderAsync(cancellationToken);
        var states = new List<RunState>();
        while (await reader.ReadAsync(cancellationToken))
        {
            states.Add(new RunState(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2)));
        }

        return states;
    }
}
