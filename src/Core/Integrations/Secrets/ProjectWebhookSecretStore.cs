using DevMentor.Core.Data;
using DevMentor.Core.Integrations.Webhooks;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DevMentor.Core.Integrations.Secrets;

/// <summary>When a project's secret was set; the secret itself is never read back out through the API.</summary>
public sealed record WebhookSecretInfo(Guid ProjectId, string Provider, DateTimeOffset CreatedAt, DateTimeOffset? RotatedAt);

/// <summary>project_webhook_secrets: one secret per project, encrypted; also the intake's <see cref="IWebhookSecretSource"/>.</summary>
public sealed partial class ProjectWebhookSecretStore(Database database, WebhookSecretCipher cipher, ILogger<ProjectWebhookSecretStore> logger) : IWebhookSecretSource
{
    /// <summary>Sets (or replaces: the old secret stops working at once) a project's secret, in the caller's transaction when given.</summary>
    public async Task SetAsync(Guid projectId, string provider, string secret, NpgsqlConnection? connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO project_webhook_secrets (project_id, provider, secret) VALUES ($1, $2, $3)
            ON CONFLICT (project_id) DO UPDATE SET provider = excluded.provider, secret = excluded.secret, rotated_at = now()
            """;
        await using var command = connection is null ? database.DataSource.CreateCommand(sql) : new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(provider);
        command.Parameters.AddWithValue(cipher.Encrypt(projectId, secret));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<WebhookSecretInfo?> GetInfoAsync(Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT provider, created_at, rotated_at FROM project_webhook_secrets WHERE project_id = $1");
        command.Parameters.AddWithValue(projectId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new WebhookSecretInfo(projectId, reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2))
            : null;
    }

    public async Task<string?> GetSecretAsync(string provider, Guid projectId, CancellationToken cancellationToken)
    {
        await using var command = database.DataSource.CreateCommand("SELECT secret FROM project_webhook_secrets WHERE project_id = $1 AND provider = $2");
        command.Parameters.AddWithValue(projectId);
        command.Parameters.AddWithValue(provider);
        if (await command.ExecuteScalarAsync(cancellationToken) is not byte[] sealedBytes)
        {
            return null;
        }

        var secret = cipher.Decrypt(projectId, sealedBytes);
        if (secret is null)
        {
            LogUndecryptable(logger, projectId);
        }

        return secret;
    }

    async Task<ProjectWebhookSecret?> IWebhookSecretSource.ForProjectAsync(string provider, Guid projectId, CancellationToken cancellationToken) =>
        await GetSecretAsync(provider, projectId, cancellationToken) is { } secret ? new ProjectWebhookSecret(projectId, secret) : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The webhook secret of project {ProjectId} does not decrypt with this service's key (Webhooks:SecretKey changed?); set it again")]
    private static partial void LogUndecryptable(ILogger logger, Guid projectId);
}
