using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DevMentor.Core.Data;
using DevMentor.Functions.Tests.Infrastructure;
using DevMentor.Functions.Tests.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Trace;

namespace DevMentor.Functions.Tests.Telemetry;

/// <summary>
/// OpenTelemetry end to end: a signed GitHub push is received, processed and builds on the embedded
/// runner; the spans arrive over OTLP/HTTP at a receiver in the test, and GET /metrics (the
/// OpenTelemetry Prometheus exporter) shows that build. Each app counts only its own meters
/// (MeterScope.Local), so exact figures hold while other tests' apps run in this process.
/// </summary>
public sealed class TelemetryEndToEndTests : IAsyncLifetime
{
    private const int ServerKind = 2; // opentelemetry-proto Span.SpanKind.SPAN_KIND_SERVER
    private OtlpReceiver _receiver = null!;
    private TestApp _app = null!;
    private readonly ConcurrentQueue<TraceLogs.Entry> _logs = new();
    private Guid _project;

    public async Task InitializeAsync()
    {
        _receiver = await OtlpReceiver.StartAsync();
        _app = await TestApp.StartAsync(await TestPostgres.CreateDatabaseAsync("telemetry"), TestAuth.Settings(
            ("GitHub:WebhookSecret", GitHubFixtures.Secret),
            ("Pipelines:Runner:Enabled", "true"),
            ("Pipelines:Runner:WorkDirectory", Path.Combine(TestPostgres.ScratchRoot, "telemetry-work-" + Guid.NewGuid().ToString("N")[..6])),
            ("Pipelines:PollIntervalSeconds", "0.1"),
            ("Pipelines:CloneRepositories", "false"),
            ("Pipelines:DefaultDefinition", """{"steps":[{"name":"build","commands":[["true"]]}]}"""),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", _receiver.Endpoint.ToString().TrimEnd('/')),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
            ("Logging:LogLevel:DevMentor.Core", "Information")));
        _app.Services.GetRequiredService<ILoggerFactory>().AddProvider(new TraceLogs(_logs)); // the factory disposes it
        using var created = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Post, "/projects", "alice",
            """{"name":"hello-telemetry","repository":{"provider":"github","fullName":"Codertocat/Hello-World","cloneUrl":"https://github.com/Codertocat/Hello-World.git","defaultBranch":"master"}}"""));
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        _project = JsonDocument.Parse(text).RootElement.GetProperty("id").GetGuid();
    }

    public async Task DisposeAsync()
    {
        await _app.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task A_webhook_build_arrives_over_otlp_as_one_trace_request_then_processing_then_run_then_step()
    {
        var runId = await PushAndBuildAsync();
        _app.Services.GetRequiredService<TracerProvider>().ForceFlush();

        var spans = await _receiver.WaitForAsync(s => s.Any(x => x.Name == "pipeline.step" && x.Attributes.GetValueOrDefault("devmentor.run.id") == runId.ToString()), TimeSpan.FromSeconds(20));

        var run = Assert.Single(spans, s => s.Name == "pipeline.run" && s.Attributes.GetValueOrDefault("devmentor.run.id") == runId.ToString());
        Assert.Equal("succeeded", run.Attributes["devmentor.run.status"]);
        Assert.Equal("push", run.Attributes["devmentor.run.trigger"]);
        var trace = spans.Where(s => s.TraceId == run.TraceId).ToList();
        var processing = Assert.Single(trace, s => s.SpanId == run.ParentSpanId);
        Assert.Equal("webhook.process", processing.Name);
        Assert.Equal("push", processing.Attributes["devmentor.webhook.event"]);
        var request = Assert.Single(trace, s => s.SpanId == processing.ParentSpanId);
        Assert.Equal(ServerKind, request.Kind);
        Assert.Equal("/webhooks/github", request.Attributes["url.path"]);
        Assert.Equal("", request.ParentSpanId); // the trace starts at the provider's request
        var step = Assert.Single(trace, s => s.Name == "pipeline.step");
        Assert.Equal(run.SpanId, step.ParentSpanId);
        Assert.Equal(("build", "succeeded"), (step.Attributes["devmentor.step.name"], step.Attributes["devmentor.step.status"]));
        // Npgsql's spans sit under the processing span (the project lookup, the run's insert).
        Assert.Contains(trace, s => s.ParentSpanId == processing.SpanId && s.Attributes.Keys.Any(k => k.StartsWith("db.", StringComparison.Ordinal)));
        // The log lines of that work carry its trace id (ActivityTrackingOptions), whichever thread wrote them.
        Assert.Contains(_logs, e => e.Category.EndsWith(".WebhookProcessor", StringComparison.Ordinal) && e.Message.Contains("push", StringComparison.Ordinal) && e.TraceId == run.TraceId);
        Assert.Contains(_logs, e => e.Category.EndsWith(".PipelineEngine", StringComparison.Ordinal) && e.Message.Contains(runId.ToString(), StringComparison.Ordinal) && e.TraceId == run.TraceId);
        // Metrics go out over OTLP too.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (_receiver.MetricExports == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(_receiver.MetricExports > 0, "no metrics were exported over OTLP");
    }

    [Fact]
    public async Task After_a_build_metrics_shows_its_run_and_step_counters_duration_histograms_webhook_intake_and_requests()
    {
        await PushAndBuildAsync();

        using var response = await _app.Client.SendAsync(TestAuth.Request(HttpMethod.Get, "/metrics", "wes"));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, Value(text, "devmentor_pipeline_runs_ended_total", ("outcome", "succeeded")));
        Assert.Equal(1, Value(text, "devmentor_pipeline_run_duration_seconds_count", ("outcome", "succeeded")));
        Assert.Equal(1, Value(text, "devmentor_pipeline_run_duration_seconds_bucket", ("outcome", "succeeded"), ("le", "+Inf")));
        Assert.InRange(Value(text, "devmentor_pipeline_run_duration_seconds_sum", ("outcome", "succeeded")), 0, 60);
        Assert.Equal(1, Value(text, "devmentor_pipeline_steps_ended_total", ("step", "build"), ("outcome", "succeeded")));
        Assert.Equal(1, Value(text, "devmentor_pipeline_step_duration_seconds_count", ("step", "build"), ("outcome", "succeeded")));
        Assert.Equal(1, Value(text, "devmentor_webhooks_received_total", ("provider", "github"), ("outcome", "accepted")));
        Assert.Equal(1, Value(text, "devmentor_webhooks_processed_total", ("provider", "github"), ("status", "processed")));
        Assert.Equal(1, Value(text, "devmentor_webhooks_processing_duration_seconds_count", ("provider", "github"), ("status", "processed")));
        Assert.Equal(0, Value(text, "devmentor_pipeline_queue_depth", ("kind", "steps")));
        // The engine's static counters are process-wide (other tests' apps add to them): at least this build's step.
        Assert.True(Value(text, "devmentor_pipeline_steps_completed_total", ("status", "succeeded")) >= 1);
        // Requests, by route and status (ASP.NET Core's own meter).
        Assert.Matches(new Regex("""^http_server_request_duration_seconds_count\{[^}]*http_response_status_code="202"[^}]*http_route="/webhooks/github"[^}]*\} 1( \d+)?$""", RegexOptions.Multiline), text);
    }

    /// <summary>Delivers the fixture push for the project and waits until its run has succeeded.</summary>
    private async Task<Guid> PushAndBuildAsync()
    {
        using (var response = await _app.Client.SendAsync(GitHubFixtures.Delivery("push", GitHubFixtures.Payload("push.with-new-branch.payload.json"))))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var db = _app.Services.GetRequiredService<Database>().DataSource;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            await using var read = db.CreateCommand("SELECT id, status, traced_at IS NOT NULL FROM pipeline_runs WHERE project_id = $1");
            read.Parameters.AddWithValue(_project);
            await using var reader = await read.ExecuteReaderAsync();
            if (await reader.ReadAsync())
            {
                var (id, status, traced) = (reader.GetGuid(0), reader.GetString(1), reader.GetBoolean(2));
                Assert.True(status is "queued" or "running" or "succeeded", $"run {id} is {status}");
                if (status == "succeeded" && traced)
                {
                    return id;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, "the push's run did not succeed in time");
            await Task.Delay(100);
        }
    }

    /// <summary>The value of the series with exactly these labels (in any order); a timestamp may follow the value.</summary>
    private static double Value(string text, string name, params (string Key, string Value)[] labels)
    {
        var wanted = labels.Select(l => $"{l.Key}=\"{l.Value}\"").Order(StringComparer.Ordinal).ToList();
        foreach (Match line in Regex.Matches(text, $"^{Regex.Escape(name)}\\{{([^}}]*)\\}} (\\S+)( \\d+)?$", RegexOptions.Multiline))
        {
            var found = Regex.Matches(line.Groups[1].Value, "\\w+=\"(?:[^\"\\\\]|\\\\.)*\"").Select(m => m.Value).Order(StringComparer.Ordinal);
            if (found.SequenceEqual(wanted))
            {
                return double.Parse(line.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        Assert.Fail($"{name}{{{string.Join(',', wanted)}}} missing in:\n{text}");
        return 0;
    }

    /// <summary>Log entries with the TraceId the logger factory's activity tracking puts in their scope.</summary>
    private sealed class TraceLogs(ConcurrentQueue<TraceLogs.Entry> entries) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;

        public sealed record Entry(string Category, string Message, string? TraceId);

        private ConcurrentQueue<Entry> Entries => entries;

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(TraceLogs logs, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => logs._scopes?.Push(state);

            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                string? traceId = null;
                logs._scopes?.ForEachScope((scope, _) =>
                {
                    if (scope is IEnumerable<KeyValuePair<string, object?>> values && values.FirstOrDefault(v => v.Key == "TraceId").Value is { } id)
                    {
                        traceId = id.ToString();
                    }
                }, (object?)null);
                logs.Entries.Enqueue(new Entry(category, formatter(state, exception), traceId));
            }
        }
    }
}
