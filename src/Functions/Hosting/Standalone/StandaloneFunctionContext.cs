using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Hosting.Standalone;

/// <summary>
/// The FunctionContext the standalone host hands the worker middleware, so the middleware the
/// Functions host runs is the very code that runs here. It carries what the middleware reads: the
/// function's definition (its name), the request's HttpContext under the key the ASP.NET Core
/// integration uses (so <c>GetHttpContext()</c> works), the request's services and cancellation.
/// </summary>
public sealed class StandaloneFunctionContext : FunctionContext
{
    /// <summary>The Items key of the ASP.NET Core integration (Worker.Extensions.Http.AspNetCore's Constants.HttpContextKey).</summary>
    public const string HttpContextKey = "HttpRequestContext";

    public StandaloneFunctionContext(string functionName, string entryPoint, IServiceProvider services, HttpContext? http, CancellationToken cancellationToken)
    {
        FunctionDefinition = new Definition(functionName, entryPoint);
        InstanceServices = services;
        CancellationToken = cancellationToken;
        if (http is not null)
        {
            Items[HttpContextKey] = http;
        }
    }

    public override string InvocationId { get; } = Guid.NewGuid().ToString();
    public override string FunctionId => FunctionDefinition.Id;
    public override TraceContext TraceContext { get; } = new CurrentTrace();
    public override BindingContext BindingContext { get; } = new NoBindingData();
    public override RetryContext RetryContext { get; } = new NoRetries();
    public override IServiceProvider InstanceServices { get; set; }
    public override FunctionDefinition FunctionDefinition { get; }
    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
    public override IInvocationFeatures Features { get; } = new FeatureSet();
    public override CancellationToken CancellationToken { get; }

    private sealed class Definition(string name, string entryPoint) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters => [];
        public override string PathToAssembly { get; } = typeof(Definition).Assembly.Location;
        public override string EntryPoint { get; } = entryPoint;
        public override string Id { get; } = name;
        public override string Name { get; } = name;
        public override IImmutableDictionary<string, BindingMetadata> InputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
        public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
    }

    private sealed class CurrentTrace : TraceContext
    {
        public override string TraceParent { get; } = Activity.Current?.Id ?? "";
        public override string TraceState { get; } = Activity.Current?.TraceStateString ?? "";
    }

    private sealed class NoBindingData : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData => ImmutableDictionary<string, object?>.Empty;
    }

    private sealed class NoRetries : RetryContext
    {
        public override int RetryCount => 0;
        public override int MaxRetryCount => 0;
    }

    private sealed class FeatureSet : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> _features = [];

        public void Set<T>(T instance) => _features[typeof(T)] = instance!;

        public T? Get<T>() => _features.TryGetValue(typeof(T), out var feature) ? (T)feature : default;

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
