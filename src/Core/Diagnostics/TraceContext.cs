using System.Diagnostics;

namespace DevMentor.Core.Diagnostics;

/// <summary>
/// W3C trace context carried through the database: work that continues later, elsewhere (a stored
/// webhook delivery processed by a worker, a run whose steps end minutes later on another instance)
/// stores the <c>traceparent</c> of what caused it and starts its spans from that.
/// </summary>
public static class TraceContext
{
    /// <summary>The current span as a traceparent ("00-trace-span-flags"); null when nothing is traced.</summary>
    public static string? Current() =>
        System.Diagnostics.Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } id } ? id : null;

    /// <summary>The stored context, or none (a root span) when absent or not a valid traceparent.</summary>
    public static ActivityContext Parse(string? traceparent) =>
        traceparent is { Length: > 0 } && ActivityContext.TryParse(traceparent, null, isRemote: true, out var context) ? context : default;

    /// <summary>
    /// Starts a span under a stored parent and makes it current until disposed, then puts back the
    /// span that was current before (an Activity with a stored parent has no in-process Parent, so
    /// stopping it alone would leave no current span behind).
    /// </summary>
    public static Scope Start(ActivitySource source, string name, ActivityKind kind, string? traceparent, DateTimeOffset startTime = default) =>
        new(System.Diagnostics.Activity.Current, source.StartActivity(name, kind, Parse(traceparent), startTime: startTime));

    public readonly struct Scope(System.Diagnostics.Activity? previous, System.Diagnostics.Activity? activity) : IDisposable
    {
        /// <summary>Null when nobody listens to the source (no tracing configured).</summary>
        public System.Diagnostics.Activity? Activity { get; } = activity;

        public void Dispose()
        {
            Activity?.Dispose();
            System.Diagnostics.Activity.Current = previous;
        }
    }
}
