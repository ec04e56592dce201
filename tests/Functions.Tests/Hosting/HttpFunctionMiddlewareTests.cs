using System.Collections.Immutable;
using System.Net;
using System.Text;
using System.Text.Json;
using DevMentor.Functions.Hosting;
using DevMentor.Functions.Hosting.Worker;
using DevMentor.Functions.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DevMentor.Functions.Tests.Hosting;

/// <summary>
/// The path the Functions host takes: the worker host's own composition (WorkerHost), and the worker
/// middleware driven with a FunctionContext that carries a real HttpContext under the key the ASP.NET
/// Core integration uses, as FunctionsHttpProxyingMiddleware leaves it. The function itself is the
/// `next` delegate: whether it ran, and what the client got, are what is checked.
/// </summary>
public sealed class HttpFunctionMiddlewareTests : IAsyncLifetime
{
    private IHost _worker = null!;

    public Task InitializeAsync()
    {
        var dataDir = Path.Combine(TestPostgres.ScratchRoot, "worker-" + Guid.NewGuid().ToString("N")[..8]);
        var args = TestAuth.Settings(("RateLimits:Enabled", "true"), ("RateLimits:PerUser", "2"), ("Host:CORS", "https://app.example.com"),
                ("Limits:MaxRequestBodyBytes", "100"), ("DEVMENTOR_DATA_DIR", dataDir),
                ("Functions:Worker:HostEndpoint", "http://127.0.0.1:1/"))
            .Select(s => $"--{s.Key}={s.Value}").ToArray();
        // Composed exactly as the Functions host's worker process is; never started (there is no host to connect to).
        _worker = WorkerHost.CreateBuilder(args).Build();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_worker is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }

    private sealed class Invocation : FunctionContext
    {
        public Invocation(string name, IServiceProvider services, HttpContext? http)
        {
            FunctionDefinition = new Definition(name);
            InstanceServices = services;
            if (http is not null)
            {
                // Worker.Extensions.Http.AspNetCore's Constants.HttpContextKey: what GetHttpContext() reads.
                Items["HttpRequestContext"] = http;
            }
        }

        public override string InvocationId { get; } = Guid.NewGuid().ToString();
        public override string FunctionId => FunctionDefinition.Id;
        public override TraceContext TraceContext => throw new NotSupportedException();
        public override BindingContext BindingContext => throw new NotSupportedException();
        public override RetryContext RetryContext => throw new NotSupportedException();
        public override IServiceProvider InstanceServices { get; set; }
        public override FunctionDefinition FunctionDefinition { get; }
        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();
        public override IInvocationFeatures Features => throw new NotSupportedException();

        private sealed class Definition(string name) : FunctionDefinition
        {
            public override ImmutableArray<FunctionParameter> Parameters => [];
            public override string PathToAssembly => "";
            public override string EntryPoint => "";
            public override string Id => name;
            public override string Name => name;
            public override IImmutableDictionary<string, BindingMetadata> InputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
            public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
        }
    }

    /// <summary>A response whose OnStarting callbacks run when the test says the answer starts, as a server runs them.</summary>
    private sealed class StartableResponse : HttpResponseFeature
    {
        private readonly List<(Func<object, Task> Callback, object State)> _starting = [];

        public override void OnStarting(Func<object, Task> callback, object state) => _starting.Add((callback, state));

        public async Task StartAsync()
        {
            for (var i = _starting.Count - 1; i >= 0; i--)
            {
                await _starting[i].Callback(_starting[i].State);
            }
        }
    }

    private sealed record Answer(int Status, IHeaderDictionary Headers, string Body, bool FunctionRan);

    private async Task<Answer> InvokeAsync(string function, string method, string path, Func<HttpContext, Task>? functionBody = null,
        string? token = null, string? origin = null, long? contentLength = null)
    {
        await using var scope = _worker.Services.CreateAsyncScope();
        var response = new StartableResponse();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Features.Set<IHttpResponseFeature>(response);
        var body = new MemoryStream();
        http.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        http.Request.Method = method;
        http.Request.Path = path;
        http.Request.ContentLength = contentLength;
        http.Connection.RemoteIpAddress = IPAddress.Loopback;
        if (token is not null)
        {
            http.Request.Headers.Authorization = "Bearer " + token;
        }

        if (origin is not null)
        {
            http.Request.Headers.Origin = origin;
        }

        var ran = false;
        var middleware = scope.ServiceProvider.GetRequiredService<HttpFunctionMiddleware>();
        await middleware.Invoke(new Invocation(function, scope.ServiceProvider, http), async _ =>
        {
            ran = true;
            await (functionBody?.Invoke(http) ?? Task.CompletedTask);
        });
        await response.StartAsync();
        return new Answer(http.Response.StatusCode, http.Response.Headers, Encoding.UTF8.GetString(body.ToArray()), ran);
    }

    private static JsonElement Problem(Answer answer)
    {
        Assert.StartsWith("application/problem+json", answer.Headers.ContentType.ToString(), StringComparison.Ordinal);
        return JsonDocument.Parse(answer.Body).RootElement;
    }

    [Fact]
    public async Task An_anonymous_caller_gets_a_401_problem_with_the_bearer_challenge_and_the_function_does_not_run()
    {
        var answer = await InvokeAsync("GetProject", "GET", "/projects/p1");

        Assert.False(answer.FunctionRan);
        Assert.Equal(401, answer.Status);
        Assert.Contains("Bearer", answer.Headers.WWWAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("https://devmentor.dev/problems/unauthorized", Problem(answer).GetProperty("type").GetString());
        Assert.Equal("1000", answer.Headers["RateLimit-Limit"].ToString());
    }

    [Fact]
    public async Task A_signed_in_caller_reaches_the_function_with_cors_and_rate_limit_headers_until_the_limit()
    {
        var token = TestAuth.Token("mia");
        var seen = new List<string?>();
        Task Function(HttpContext http)
        {
            seen.Add(http.User.FindFirst("sub")?.Value);
            http.Response.StatusCode = 200;
            return Task.CompletedTask;
        }

        var first = await InvokeAsync("GetProject", "GET", "/projects/p1", Function, token, "https://app.example.com");
        var second = await InvokeAsync("GetProject", "GET", "/projects/p1", Function, token);
        var third = await InvokeAsync("GetProject", "GET", "/projects/p1", Function, token);

        Assert.Equal(["mia", "mia"], seen);
        Assert.Equal("https://app.example.com", first.Headers.AccessControlAllowOrigin.ToString());
        Assert.Equal(["2", "1"], [first.Headers["RateLimit-Limit"].ToString(), first.Headers["RateLimit-Remaining"].ToString()]);
        Assert.Equal("0", second.Headers["RateLimit-Remaining"].ToString());
        Assert.False(third.FunctionRan);
        Assert.Equal(429, third.Status);
        Assert.False(string.IsNullOrEmpty(third.Headers.RetryAfter.ToString()));
        Assert.Equal("https://devmentor.dev/problems/too-many-requests", Problem(third).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_declared_body_over_the_limit_is_refused_before_the_function_runs()
    {
        var answer = await InvokeAsync("CreateProjectRest", "POST", "/projects", token: TestAuth.Token("mia"), contentLength: 101);

        Assert.False(answer.FunctionRan);
        Assert.Equal(413, answer.Status);
        Assert.Equal("https://devmentor.dev/problems/payload-too-large", Problem(answer).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_function_with_its_own_limit_accepts_a_larger_body_and_health_needs_no_caller_and_is_not_counted()
    {
        var webhook = await InvokeAsync("GitHubWebhook", "POST", "/webhooks/github", contentLength: 10_000);
        var health = await InvokeAsync("Health", "GET", "/health");

        Assert.True(webhook.FunctionRan);
        Assert.True(health.FunctionRan);
        Assert.False(health.Headers.ContainsKey("RateLimit-Limit"));
    }

    [Fact]
    public async Task An_admin_policy_refuses_a_signed_in_non_admin_with_403_and_admits_an_admin()
    {
        var user = await InvokeAsync("ListApiKeys", "GET", "/apikeys", token: TestAuth.Token("mia"));
        var admin = await InvokeAsync("ListApiKeys", "GET", "/apikeys", token: TestAuth.Token("root", admin: true));

        Assert.False(user.FunctionRan);
        Assert.Equal(403, user.Status);
        Assert.Equal("https://devmentor.dev/problems/forbidden", Problem(user).GetProperty("type").GetString());
        Assert.True(admin.FunctionRan);
    }

    [Theory]
    [InlineData("json", 400, "bad-request")]
    [InlineData("too-large", 413, "payload-too-large")]
    [InlineData("outage", 503, "unavailable")]
    [InlineData("bug", 500, "internal")]
    public async Task What_a_function_throws_becomes_a_problem_with_the_trace_id_and_no_internals(string thrown, int status, string type)
    {
        Exception exception = thrown switch
        {
            "json" => new JsonException("'x' is an invalid start of a value."),
            "too-large" => new BadHttpRequestException("Request body too large.", 413),
            "outage" => new TimeoutException("The database did not answer."),
            _ => new InvalidOperationException("secret internal detail"),
        };

        var answer = await InvokeAsync("GetProject", "GET", "/projects/p1", http =>
        {
            http.Response.Headers.ETag = "\"stale\"";
            throw exception;
        }, TestAuth.Token("mia"));

        var problem = Problem(answer);
        Assert.Equal(status, answer.Status);
        Assert.Equal("https://devmentor.dev/problems/" + type, problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
        Assert.DoesNotContain("secret internal detail", answer.Body, StringComparison.Ordinal);
        Assert.False(answer.Headers.ContainsKey("ETag"));
        Assert.Equal(status == 503 ? "10" : "", answer.Headers.RetryAfter.ToString());
    }

    [Fact]
    public async Task Invocations_without_an_http_context_or_unknown_to_the_catalog_pass_straight_through()
    {
        await using var scope = _worker.Services.CreateAsyncScope();
        var middleware = scope.ServiceProvider.GetRequiredService<HttpFunctionMiddleware>();
        var ran = new List<string>();

        await middleware.Invoke(new Invocation("Housekeeping", scope.ServiceProvider, http: null), _ => { ran.Add("timer"); return Task.CompletedTask; });
        await middleware.Invoke(new Invocation("NotAFunction", scope.ServiceProvider, new DefaultHttpContext()), _ => { ran.Add("unknown"); return Task.CompletedTask; });

        Assert.Equal(["timer", "unknown"], ran);
    }

    [Fact]
    public void The_worker_host_is_recognised_by_the_arguments_the_functions_host_starts_it_with()
    {
        Assert.True(WorkerHost.IsWorkerProcess(["--functions-uri", "http://127.0.0.1:7071/", "--functions-worker-id", "w1"]));
        Assert.True(WorkerHost.IsWorkerProcess(["--host", "127.0.0.1", "--port", "7071", "--workerId", "w1"]));
        Assert.False(WorkerHost.IsWorkerProcess([]));
        Assert.False(WorkerHost.IsWorkerProcess(["--urls", "http://127.0.0.1:3004"]));
        // Under the host, nothing standalone runs: no scheduler and no embedded runner.
        Assert.DoesNotContain(_worker.Services.GetServices<IHostedService>(), s => s.GetType().Name is "TimerScheduler" or "EmbeddedRunner");
    }
}
