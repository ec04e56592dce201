namespace DevMentor.Functions.Composition;

/// <summary>Log output: one JSON object per line with the trace and span ids, quiet framework chatter.</summary>
public static class Logs
{
    public static void Configure(ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true; // carries TraceId/SpanId
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        Filter(logging);
    }

    /// <summary>Under the Functions host the worker's own provider carries logs to the host; only the filters apply.</summary>
    public static void Filter(ILoggingBuilder logging)
    {
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        // The Durable Task backend, sidecar and worker log every message and lease at Information.
        logging.AddFilter("DurableTask", LogLevel.Warning);
        logging.AddFilter("Microsoft.DurableTask", LogLevel.Warning);
        logging.AddFilter("Grpc", LogLevel.Warning);
    }
}
