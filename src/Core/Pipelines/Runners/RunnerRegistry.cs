using System.Security.Cryptography;
using System.Text;
using DevMentor.Core.Data;

namespace DevMentor.Core.Pipelines.Runners;

public sealed record RegisteredRunner(Guid Id, string Name, IReadOnlyList<string> Labels)
{
    /// <summary>The lease owner name of this runner's claims.</summary>
    public string Owner => $"runner:{Id}";
}

/// <summary>Remote runners and their tokens (stored as SHA-256; a token is random, so no salt is needed).</summary>
public sealed class RunnerRegistry(Database database)
{
    public async Task<(RegisteredRunner Runner, string Token)> RegisterAsync(string name, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        var token = "dmr_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var runner = new RegisteredRunner(Guid.CreateVersion7(), name, labels);
        await using var command = database.DataSource.CreateCommand("INSERT INTO pipeline_runners (id, name, labels, token_hash) VALUES ($1, $2, $3, $4)");
        command.Parameters.AddWithValue(runner.Id);
        command.Parameters.AddWithValue(name);
        command.Parameters.AddWithValue(labels.ToArray());
        command.Parameters.AddWithValue(Hash(token));
        await command.ExecuteNonQueryAsync(cancellationToken);
        return (runner, token);
    }

    /// <summary>The runner a token belongs to, marking it seen; null for an unknown token.</summary>
    public async Task<RegisteredRunner?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("""
            UPDATE pipeline_runners SET last_seen_at = now()
            WHERE token_hash = $1
            RETURNING id, name, labels
            """);
        command.Parameters.AddWithValue(Hash(token));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new RegisteredRunner(reader.GetGuid(0), reader.GetString(1), reader.GetFieldValue<string[]>(2))
            : null;
    }

    public static bool RegistrationTokenMatches(string expected, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(expected)), SHA256.HashData(Encoding.UTF8.GetBytes(presented)));

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
