using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using DevMentor.Functions.Tests.Infrastructure;

namespace DevMentor.Functions.Tests.Pipelines;

/// <summary>
/// A hostile build step against the real executable with its embedded PostgreSQL, run by the
/// embedded runner and by a DevMentor.Runner process, both as root: it tries to read the service's
/// secrets through the workspace and by absolute path, the service's (and runner's) environment
/// through /proc, to signal and ptrace them, and to log in to the database as the superuser.
/// Every attempt must come back empty; the step itself runs as an unprivileged user.
/// </summary>
public sealed class StepSandboxAttackTests
{
    private const string RegistrationToken = "sandbox-attack-registration-token";

    /// <summary>
    /// $1 the data dir; $2 a folder shared read-only with the step (Pipelines:Runner:ReadOnlyPaths),
    /// where the test writes what only exists once the service runs: its pid, the PostgreSQL port,
    /// psql, another pid to spy on (the runner's).
    /// </summary>
    private const string Attack = """
        read spid port psql opid < "$2/targets"
        L=LEAK # the log shows this script too: the word that must not appear is only ever made here
        set -- "$1" "$spid" "$port" "$psql" "$opid"
        for f in "$DEVMENTOR_WORKSPACE/../../admin.key" "$DEVMENTOR_WORKSPACE/../../pg.password" "$DEVMENTOR_WORKSPACE/../../webhook-secrets.key" \
                 "$1/admin.key" "$1/pg.password" "$1/pg.service.password" "$1/webhook-secrets.key" "$1/local.settings.json"; do
          if cat "$f" 2>/dev/null; then echo "${L}ED file $f"; else echo "hidden: $f"; fi
        done
        for pid in "$2" "$5"; do
          if cat "/proc/$pid/environ" 2>/dev/null; then echo "${L}ED environ $pid"; else echo "hidden: environ of $pid"; fi
          if cat "/proc/$pid/cmdline" 2>/dev/null; then echo "${L}ED cmdline $pid"; else echo "hidden: cmdline of $pid"; fi
          if kill -0 "$pid" 2>/dev/null; then echo "${L}ED signal $pid"; else echo "hidden: signal to $pid"; fi
          perl -e '$r = syscall(101, 16, $ARGV[0], 0, 0); print $r == -1 ? "ptrace refused: $!\n" : "LEAK" . "ED ptrace\n"' "$pid"
        done
        if PGCONNECT_TIMEOUT=5 "$4" -h 127.0.0.1 -p "$3" -U postgres -w -d postgres -c 'select 1'; then echo "${L}ED postgres login"; else echo "superuser login refused"; fi
        if PGCONNECT_TIMEOUT=5 "$4" -h 127.0.0.1 -p "$3" -U devmentor_service -w -d devmentor -c 'select 1'; then echo "${L}ED service login"; else echo "service login refused"; fi
        if ls /root 2>/dev/null; then echo "${L}ED /root"; else echo "hidden: /root"; fi
        echo "processes: $(ls /proc | grep -c '^[0-9]')"
        echo "uid=$(id -u)"
        grep CapEff /proc/self/status
        """;

    [Fact]
    public async Task A_hostile_step_on_the_embedded_runner_reaches_none_of_the_services_secrets()
    {
        var (scratch, dataDir, shared) = NewScratch("attack-embedded");
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        await using var service = ServiceProcess.Start(scratch, Environment(dataDir, shared, canary, embeddedRunner: true));
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));

        var log = await RunAttackAsync(service, dataDir, shared, otherPid: service.ProcessId);

        AssertNothingLeaked(log, dataDir, canary, service.Output);
    }

    [Fact]
    public async Task A_hostile_step_on_a_root_DevMentor_Runner_reaches_none_of_the_services_or_runners_secrets()
    {
        Assert.True(System.Environment.IsPrivilegedProcess, "this test shows DevMentor.Runner running as root");
        var (scratch, dataDir, shared) = NewScratch("attack-remote");
        var canary = "canary-" + Guid.NewGuid().ToString("N");
        await using var service = ServiceProcess.Start(scratch, Environment(dataDir, shared, canary, embeddedRunner: false));
        await service.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
        // Only this runner can take the step (the service has no embedded workers).
        await using var runner = RunnerProcess.Start(service.BaseAddress, RegistrationToken, "attacked-runner", Path.Combine(scratch, "runner-work"), 1,
            $"--Runner:ReadOnlyPaths={shared}");

        var log = await RunAttackAsync(service, dataDir, shared, otherPid: runner.ProcessId);

        AssertNothingLeaked(log, dataDir, canary, service.Output + runner.Output);
        Assert.DoesNotContain(RegistrationToken, log, StringComparison.Ordinal); // the runner's command line
    }

    private static (string Scratch, string DataDir, string Shared) NewScratch(string name)
    {
        // The embedded cluster runs as the postgres user, which must be able to reach the data dir.
        var scratch = PipelineTestKit.NewScratchDirectory(name);
        File.SetUnixFileMode(scratch, (UnixFileMode)0x1ED); // 0755
        var shared = Path.Combine(scratch, "shared");
        Directory.CreateDirectory(shared);
        return (scratch, Path.Combine(scratch, "data"), shared);
    }

    private static Dictionary<string, string?> Environment(string dataDir, string shared, string canary, bool embeddedRunner) => new()
    {
        ["Pipelines__Runner__ReadOnlyPaths"] = shared,
        ["DEVMENTOR_DATA_DIR"] = dataDir, // no connection string: the embedded PostgreSQL
        ["DEVMENTOR_ATTACK_CANARY"] = canary,
        // No Auth:BootstrapApiKey: the service writes its admin key to <data dir>/admin.key, one of the step's targets.
        ["Scheduler__Enabled"] = "false",
        ["Pipelines__Runner__Enabled"] = embeddedRunner ? "true" : "false",
        ["Pipelines__PollIntervalSeconds"] = "0.1",
        ["Runners__RegistrationToken"] = RegistrationToken,
        // The attack is the build definition of projects without a repository, as a .devmentor.yml step would be.
        ["Pipelines__DefaultDefinition"] = JsonSerializer.Serialize(new { steps = new[] { new { name = "attack", commands = new[] { new[] { "sh", "-c", Attack, "attack", dataDir, shared } } } } }),
    };

    private static async Task<string> RunAttackAsync(ServiceProcess service, string dataDir, string shared, int otherPid)
    {
        service.Client.DefaultRequestHeaders.Add("X-Api-Key", (await File.ReadAllTextAsync(Path.Combine(dataDir, "admin.key"))).Trim());
        var psql = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "psql")).Where(File.Exists).Max()!;
        var port = File.ReadLines(Path.Combine(dataDir, "pg", "postmaster.pid")).ElementAt(3).Trim();
        await File.WriteAllTextAsync(Path.Combine(shared, "targets"), $"{service.ProcessId} {port} {psql} {otherPid}\n");

        using var created = await service.Client.PostAsJsonAsync("/projects", new { name = "attack-" + Guid.NewGuid().ToString("N")[..6] });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var project = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        using var started = await service.Client.PostAsync($"/projects/{project}/build", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var status = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusUri").GetString()!;

        var deadline = DateTime.UtcNow.AddMinutes(2);
        JsonElement run;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, $"the attack run did not end\n{service.Output}");
            await Task.Delay(200);
            run = await service.Client.GetFromJsonAsync<JsonElement>(status);
        }
        while (run.GetProperty("status").GetString() is "queued" or "running");

        var log = await service.Client.GetStringAsync(status + "/steps/attack/logs");
        Assert.True(run.GetProperty("status").GetString() == "succeeded", $"{run}\n{log}");
        Assert.True(log.Contains("\nuid=", StringComparison.Ordinal), $"the step's log is incomplete: {run}\n{log}\n{service.Output}");
        return log;
    }

    private static void AssertNothingLeaked(string log, string dataDir, string canary, string serviceOutput)
    {
        Assert.DoesNotContain("LEAKED", log, StringComparison.Ordinal);
        foreach (var secret in new[] { "admin.key", "pg.password", "pg.service.password", "webhook-secrets.key" }.Select(f => Path.Combine(dataDir, f)).Where(File.Exists))
        {
            var value = File.ReadAllText(secret).Trim();
            Assert.False(value.Length > 0 && log.Contains(value, StringComparison.Ordinal), $"{secret} leaked into the step's log");
        }

        Assert.True(File.Exists(Path.Combine(dataDir, "pg.password")) && File.Exists(Path.Combine(dataDir, "admin.key")), "the secrets the step went after exist");
        Assert.DoesNotContain(canary, log, StringComparison.Ordinal);
        Assert.True(CountOf(log, "hidden: /") == 9, log); // 8 secret files and /root
        Assert.True(CountOf(log, "hidden: environ of") == 2, log);
        Assert.True(CountOf(log, "hidden: cmdline of") == 2, log);
        Assert.True(CountOf(log, "hidden: signal to") == 2, log);
        Assert.True(CountOf(log, "ptrace refused: No such process") == 2, log);
        Assert.True(CountOf(log, "superuser login refused") == 1, log);
        Assert.True(CountOf(log, "service login refused") == 1, log);
        var uid = log.Split('\n').Single(l => l.StartsWith("uid=", StringComparison.Ordinal) && !l.Contains('$', StringComparison.Ordinal));
        Assert.NotEqual("uid=0", uid);
        Assert.True(CountOf(log, "CapEff:\t0000000000000000") == 1, log);
        Assert.DoesNotContain(canary, serviceOutput, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string value) =>
        text.Split('\n').Count(l => l.StartsWith(value, StringComparison.Ordinal));
}
