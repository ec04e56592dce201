using Microsoft.Extensions.Configuration;
using NCrontab;

namespace DevMentor.Core.Scheduling;

/// <summary>A timer function as the host that fires it knows it: a name, a schedule and how to fire one occurrence.</summary>
public sealed record TimerDefinition(string Name, string Schedule, Func<TimerInvocation, CancellationToken, Task> Fire);

/// <param name="Fire">Runs one occurrence this instance has claimed.</param>
public sealed record TimerRegistration(string Name, string Expression, CrontabSchedule Schedule, Func<TimerInvocation, CancellationToken, Task> Fire)
{
    public DateTime NextAfter(DateTime utc) => Schedule.GetNextOccurrence(utc);
}

/// <summary>Every timer function with its effective schedule (<c>Timers:{Name}:Schedule</c> overrides the function's own); validated once at start.</summary>
public sealed class TimerCatalog
{
    public TimerCatalog(IEnumerable<TimerDefinition> functions, IConfiguration configuration)
    {
        var errors = new List<string>();
        var registrations = new List<TimerRegistration>();
        foreach (var function in functions)
        {
            var key = $"Timers:{function.Name}:Schedule";
            var expression = configuration[key] is { Length: > 0 } configured ? configured : function.Schedule;
            if (TryParse(expression, out var schedule, out var error))
            {
                registrations.Add(new TimerRegistration(function.Name, expression, schedule, function.Fire));
            }
            else
            {
                errors.Add($"{key}: '{expression}' is not a 6-field NCRONTAB schedule ({error}).");
            }
        }

        foreach (var duplicate in registrations.GroupBy(r => r.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            errors.Add($"Two timer functions are named '{duplicate.Key}'.");
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", errors));
        }

        Timers = registrations;
    }

    public IReadOnlyList<TimerRegistration> Timers { get; }

    public TimerRegistration? Find(string name) =>
        Timers.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Azure Functions timers take exactly six fields; five-field crontab is rejected, not guessed at.</summary>
    public static bool TryParse(string expression, out CrontabSchedule schedule, out string error)
    {
        schedule = null!;
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            error = $"it has {fields.Length} fields";
            return false;
        }

        var parsed = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
        if (parsed is null)
        {
            error = "a field is out of range or malformed";
            return false;
        }

        schedule = parsed;
        error = "";
        return true;
    }
}
