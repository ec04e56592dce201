using System.Globalization;
using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace DevMentor.Functions.Hosting.Standalone;

/// <summary>What a standalone invocation has to bind a function's parameters from.</summary>
/// <param name="Trigger">The trigger value of a non-HTTP function (the TimerInfo of a timer).</param>
public sealed record Invocation(IServiceProvider Services, FunctionContext Context, HttpContext? Http, object? Trigger, CancellationToken CancellationToken);

/// <summary>
/// Calls a <c>[Function]</c> method as the worker does: the class is created from the invocation's
/// services (constructor injection), and each parameter is bound by what it is: the trigger (the
/// HttpRequest, the TimerInfo), a route value by name, the FunctionContext, the CancellationToken.
/// The worker accepts more binding kinds than these; a function using one fails the start here
/// rather than a request later.
/// </summary>
public sealed class FunctionInvoker
{
    private readonly MethodInfo _method;
    private readonly ObjectFactory? _create;
    private readonly Func<Invocation, object?>[] _binders;

    private FunctionInvoker(MethodInfo method, ObjectFactory? create, Func<Invocation, object?>[] binders)
    {
        _method = method;
        _create = create;
        _binders = binders;
    }

    /// <exception cref="InvalidOperationException">A parameter the standalone host cannot bind.</exception>
    public static FunctionInvoker For(MethodInfo method)
    {
        var create = method.IsStatic ? null : ActivatorUtilities.CreateFactory(method.DeclaringType!, Type.EmptyTypes);
        var binders = method.GetParameters().Select(p => Binder(method, p)).ToArray();
        return new FunctionInvoker(method, create, binders);
    }

    /// <returns>What the function returned, awaited (null for Task and void).</returns>
    public async Task<object?> InvokeAsync(Invocation invocation)
    {
        var target = _create?.Invoke(invocation.Services, null);
        var arguments = new object?[_binders.Length];
        for (var i = 0; i < _binders.Length; i++)
        {
            arguments[i] = _binders[i](invocation);
        }

        try
        {
            return _method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null) switch
            {
                Task task => await Unwrap(task),
                ValueTask valueTask => await UnwrapValueTask(valueTask),
                var returned => returned,
            };
        }
        finally
        {
            if (target is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else if (target is IDisposable disposable)
            {
                disposable.Dispose();
            }
        }
    }

    private static async Task<object?> Unwrap(Task task)
    {
        await task;
        var type = task.GetType();
        // Task<T>'s Result; a plain Task (or the runtime's VoidTaskResult) has nothing to give.
        return type.IsGenericType && type.GetProperty(nameof(Task<object>.Result)) is { } result && result.PropertyType.Name != "VoidTaskResult"
            ? result.GetValue(task)
            : null;
    }

    private static async Task<object?> UnwrapValueTask(ValueTask task)
    {
        await task;
        return null;
    }

    private static Func<Invocation, object?> Binder(MethodInfo method, ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (parameter.GetCustomAttribute<HttpTriggerAttribute>() is not null)
        {
            return type == typeof(HttpRequest)
                ? static i => i.Http!.Request
                : throw Unbindable(method, parameter, "an HttpTrigger parameter must be an HttpRequest (ASP.NET Core integration)");
        }

        if (parameter.GetCustomAttribute<TimerTriggerAttribute>() is not null)
        {
            return static i => i.Trigger;
        }

        if (parameter.GetCustomAttribute<DurableClientAttribute>() is not null)
        {
            // Under the Functions host the binding carries the host's client; here it is the standalone host's own.
            return type == typeof(Microsoft.DurableTask.Client.DurableTaskClient)
                ? static i => i.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>()
                : throw Unbindable(method, parameter, "a DurableClient parameter must be a DurableTaskClient");
        }

        if (type == typeof(CancellationToken))
        {
            return static i => i.CancellationToken;
        }

        if (type == typeof(FunctionContext))
        {
            return static i => i.Context;
        }

        if (type == typeof(HttpContext))
        {
            return static i => i.Http;
        }

        var valueType = Nullable.GetUnderlyingType(type) ?? type;
        if (valueType == typeof(string) || valueType == typeof(Guid) || valueType == typeof(int) || valueType == typeof(long) || valueType == typeof(bool))
        {
            var name = parameter.Name!;
            return i => RouteValue(i.Http, name, valueType);
        }

        throw Unbindable(method, parameter, "only triggers, route values, [DurableClient], FunctionContext and CancellationToken are bound");
    }

    /// <summary>Route constraints ({runId:guid}) have already matched, so a conversion failing means a missing optional value.</summary>
    private static object? RouteValue(HttpContext? http, string name, Type type)
    {
        if (http?.Request.RouteValues.TryGetValue(name, out var value) != true || value is null)
        {
            return null;
        }

        var text = Convert.ToString(value, CultureInfo.InvariantCulture);
        return type == typeof(string) ? text
            : type == typeof(Guid) ? (Guid.TryParse(text, out var guid) ? guid : null)
            : type == typeof(int) ? (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null)
            : type == typeof(long) ? (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l : null)
            : bool.TryParse(text, out var b) ? b : null;
    }

    private static InvalidOperationException Unbindable(MethodInfo method, ParameterInfo parameter, string why) =>
        new($"{method.DeclaringType!.Name}.{method.Name}: parameter '{parameter.Name}' ({parameter.ParameterType.Name}) cannot be bound: {why}.");
}
