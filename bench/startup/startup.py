#!/usr/bin/env python3
"""Start-up time of the standalone service: from launch to the first 200 of /health (and of
/health/ready), on a first run (initdb of the embedded cluster included), on a later run, and
after the previous process was killed with SIGKILL; beside the bare PostgreSQL floor measured
in the same invocation (initdb + pg_ctl start, and pg_ctl start of an existing cluster).

Each round also proves durability: a project created before the stop (or the SIGKILL) is read
back after the restart. Usage: startup.py DLL ROUNDS
"""
import json, os, pathlib, pwd, shutil, signal, socket, statistics, subprocess, sys, tempfile, time, urllib.request

dll, rounds = sys.argv[1], int(sys.argv[2])
pg_bin = next((str(p) for p in sorted(pathlib.Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
if shutil.which("initdb"):
    pg_bin = str(pathlib.Path(shutil.which("initdb")).parent)
if pg_bin is None:
    sys.exit("bench: no PostgreSQL server programs (apt-get install postgresql)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status(url, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except OSError:
        return None, b""


def wait_for(url, proc, started, deadline=60):
    while time.monotonic() - started < deadline:
        if status(url)[0] == 200:
            return time.monotonic() - started
        if proc.poll() is not None:
            sys.exit(f"bench: the service exited with {proc.returncode}")
        time.sleep(0.01)
    sys.exit(f"bench: {url} did not answer 200 within {deadline} s")


def start_service(data_dir, command):
    port = free_port()
    env = dict(os.environ, DEVMENTOR_DATA_DIR=data_dir, Logging__LogLevel__Default="Warning")
    log = open(os.path.join(os.path.dirname(data_dir), "service.log"), "ab")
    started = time.monotonic()
    proc = subprocess.Popen(command + ["--urls", f"http://127.0.0.1:{port}"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    health = wait_for(base + "/health", proc, started)
    ready = wait_for(base + "/health/ready", proc, started)
    return proc, base, health, ready


def stop(proc, sig):
    proc.send_signal(sig)
    proc.wait(timeout=60)


def admin_headers(data_dir):
    key = pathlib.Path(data_dir, "admin.key").read_text().strip()
    return {"X-Api-Key": key, "Content-Type": "application/json"}


def create_project(base, data_dir, name):
    body = json.dumps({"name": name}).encode()
    req = urllib.request.Request(base + "/projects", data=body, headers=admin_headers(data_dir), method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())["id"]


def assert_project(base, data_dir, project_id):
    code, _ = status(f"{base}/projects/{project_id}", admin_headers(data_dir))
    if code != 200:
        sys.exit(f"bench: project {project_id} is gone after the restart (GET answered {code})")


def as_postgres(args):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--"] + args
    return args


def bare_postgres(work):
    """The floor of the embedded mode: PostgreSQL's own initdb + start, then a start of the existing cluster."""
    data = os.path.join(work, "bare-pg")
    os.makedirs(data)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(data, pw.pw_uid, pw.pw_gid)
    port = str(free_port())
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    opts = f"-p {port} -k /tmp -c listen_addresses=127.0.0.1"
    t0 = time.monotonic()
    subprocess.run(as_postgres([f"{pg_bin}/initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]), **quiet)
    subprocess.run(as_postgres([f"{pg_bin}/pg_ctl", "-D", data, "-o", opts, "-w", "start"]), **quiet)
    first = time.monotonic() - t0
    subprocess.run(as_postgres([f"{pg_bin}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]), **quiet)
    t0 = time.monotonic()
    subprocess.run(as_postgres([f"{pg_bin}/pg_ctl", "-D", data, "-o", opts, "-w", "start"]), **quiet)
    later = time.monotonic() - t0
    subprocess.run(as_postgres([f"{pg_bin}/pg_ctl", "-D", data, "-m", "fast", "-w", "stop"]), **quiet)
    return first, later


rows = {k: [] for k in ["pg_first", "pg_later", "first_health", "first_ready", "later_health", "later_ready",
                        "killed_health", "killed_ready", "dotnet_run_health"]}
executable = ["dotnet", dll]
for r in range(rounds):
    work = tempfile.mkdtemp(prefix="devmentor-startup.")
    os.chmod(work, 0o755)  # the embedded PostgreSQL runs as its own user and must reach its directory
    data_dir = os.path.join(work, "data")
    try:
        pg_first, pg_later = bare_postgres(work)

        proc, base, first_health, first_ready = start_service(data_dir, executable)
        project = create_project(base, data_dir, f"startup bench {r}")
        stop(proc, signal.SIGTERM)

        proc, base, later_health, later_ready = start_service(data_dir, executable)
        assert_project(base, data_dir, project)
        project = create_project(base, data_dir, f"startup bench {r} before kill")
        stop(proc, signal.SIGKILL)  # leaves postmaster.pid and, usually, the cluster itself running

        proc, base, killed_health, killed_ready = start_service(data_dir, executable)
        assert_project(base, data_dir, project)
        stop(proc, signal.SIGTERM)

        # The README's command, build up to date: adds the SDK's up-to-date check to a later run.
        proc, base, dotnet_run_health, _ = start_service(data_dir, ["dotnet", "run", "--no-launch-profile", "-c", "Release", "--project", "src/Functions", "--"])
        stop(proc, signal.SIGTERM)
    finally:
        subprocess.run(["pkill", "-f", "--", f"{work}/data/pg"], check=False)
        subprocess.run(["pkill", "-f", "--", f"--location {work}/data/azurite"], check=False)  # the embedded Azurite, if a round failed
        shutil.rmtree(work, ignore_errors=True)
    for k, v in [("pg_first", pg_first), ("pg_later", pg_later), ("first_health", first_health), ("first_ready", first_ready),
                 ("later_health", later_health), ("later_ready", later_ready), ("killed_health", killed_health),
                 ("killed_ready", killed_ready), ("dotnet_run_health", dotnet_run_health)]:
        rows[k].append(v)
    print(f"round {r + 1}: first {first_health:.2f} s (bare PostgreSQL {pg_first:.2f} s), later {later_health:.2f} s "
          f"(bare {pg_later:.2f} s), after SIGKILL {killed_health:.2f} s, dotnet run (later) {dotnet_run_health:.2f} s", flush=True)

m = {k: statistics.median(v) for k, v in rows.items()}
print()
print(f"median of {rounds} round(s), seconds from launch to the first 200        service   bare PostgreSQL   ratio   target")
print(f"  first run  (initdb, migrations)  /health {m['first_health']:6.2f}  /health/ready {m['first_ready']:6.2f}   {m['pg_first']:6.2f}   {m['first_health'] / m['pg_first']:5.2f}x   <= 10 s")
print(f"  later run  (cluster kept)        /health {m['later_health']:6.2f}  /health/ready {m['later_ready']:6.2f}   {m['pg_later']:6.2f}   {m['later_health'] / m['pg_later']:5.2f}x   <= 3 s")
print(f"  after SIGKILL of the previous    /health {m['killed_health']:6.2f}  /health/ready {m['killed_ready']:6.2f}   {m['pg_later']:6.2f}   {m['killed_health'] / m['pg_later']:5.2f}x")
print(f"  later run via `dotnet run` (up-to-date build check included)  /health {m['dotnet_run_health']:6.2f}")
print("data kept across restart and SIGKILL: yes (a project created before each stop was read back)")
