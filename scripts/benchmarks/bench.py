#!/usr/bin/env python3
"""Benchmarks runpod-launcher against RunPod's Python SDK and a lean `requests` script, all against the same
`runpod-launcher emulator`, alternating runs, and rewrites BENCHMARKS.md. Run it through `scripts/bench`, which
builds the release binary and the virtual environment first.

Sections are functions `section(ctx) -> Section` listed in SECTIONS; another benchmark module in this directory
adds one by defining `SECTION = (order, title, function)` (see `load_plugins`), so this file need not change."""
import argparse
import datetime
import http.client
import importlib
import json
import multiprocessing
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
KEY = "rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION"
VOLUME = "rp-vol-comfyui01"
GPU = "NVIDIA GeForce RTX 4090"


# ---------------------------------------------------------------------------------------------------------- helpers


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """A `runpod-launcher emulator` subprocess on a free loopback port, with a scenario's pod timings (seconds)."""

    def __init__(self, ctx, timings=None, time_scale=1.0):
        self.ctx = ctx
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [ctx.cli, "emulator", "--port", str(self.port), "--time-scale", str(time_scale)]
        if timings is not None:
            path = os.path.join(ctx.tmp, f"scenario-{self.port}.json")
            with open(path, "w") as f:
                json.dump({"timings": timings}, f)
            args += ["--scenario", path]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.state()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"the emulator exited with {self.proc.returncode}: {' '.join(args)}")
                time.sleep(0.02)
        raise SystemExit("the emulator did not start")

    def state(self):
        with urllib.request.urlopen(self.base + "/_emulator/state", timeout=5) as answer:
            return json.load(answer)

    @staticmethod
    def api_calls(state):
        """RunPod API calls (REST operations and GraphQL requests); proxy requests and inspection are not API calls."""
        return {op: n for op, n in state.get("calls", {}).items() if not op.startswith("_") and op != "proxy"}

    def calls(self):
        return sum(self.api_calls(self.state()).values())

    def env(self):
        env = dict(self.ctx.base_env)
        env.update(RUNPOD_API_BASE_URL=self.base, RUNPOD_API_KEY=KEY, RUNPOD_NETWORK_VOLUME_ID=VOLUME,
                   BENCH_VOLUME_ID=VOLUME, BENCH_GPU=GPU, RUNPOD_LAUNCHER_PROXY_URL=self.base + "/proxy/{podId}-{port}")
        return env

    def alive(self):
        return [p["id"] for p in self.state()["pods"] if p.get("alive")]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_measured(cmd, env, on_first_output=None):
    """Runs `cmd`; returns (wall seconds, stdout text, first-output time). Peak memory: `peak_rss`, a separate run.

    The first-output time is `time.time()` when stdout's first bytes arrive (the CLI prints its answer in one write)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first_at = None
    chunks = []
    fd = proc.stdout.fileno()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        if first_at is None:
            first_at = time.time()
        chunks.append(chunk)
    err = proc.stderr.read()
    _, status, _ = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4; keep Popen from waiting again
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {code}:\n{err.decode(errors='replace')[-3000:]}")
    return wall, b"".join(chunks).decode(), first_at


# A child that Python spawns directly reports Python's own peak as its ru_maxrss: the kernel carries the high-water
# mark of the memory a process had before exec over into the exec'd program, and Python's subprocess (vfork or fork)
# hands the child its own address space. So peak memory is measured through GNU time, whose child is forked from time
# itself (~1 MiB), or, without GNU time, through a minimal Python (-S -I) that forks and execs (its ~5 MiB is then the
# floor of what can be seen).
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
_SMALL_LAUNCHER = ("import os,sys\npid=os.fork()\nif pid==0:\n    os.execvp(sys.argv[2],sys.argv[2:])\n"
                   "_,st,ru=os.wait4(pid,0)\nos.write(int(sys.argv[1]),str(ru.ru_maxrss).encode())\n"
                   "sys.exit(os.waitstatus_to_exitcode(st))")
RSS_METHOD = ("GNU time (`/usr/bin/time -f %M`): the command is forked from time, so the figure is the command's own"
              if GNU_TIME else "a minimal forking Python launcher (GNU time is absent): figures below ~5 MiB are its floor")


def peak_rss(cmd, env):
    """Peak RSS in MiB of `cmd` on its own (see GNU_TIME); its output is discarded, a failure stops the benchmark."""
    with tempfile.TemporaryFile() as report:
        fd = report.fileno()
        if GNU_TIME:
            wrapped = [GNU_TIME, "-f", "%M", "-o", f"/dev/fd/{fd}", *cmd]
        else:
            wrapped = [sys.executable, "-S", "-I", "-c", _SMALL_LAUNCHER, str(fd), *cmd]
        proc = subprocess.run(wrapped, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, pass_fds=(fd,))
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr.decode(errors='replace')[-3000:]}")
        report.seek(0)
        return int(report.read().decode().split()[-1]) / 1024


def median(values):
    return statistics.median(values)


def pct(values, p):
    """The p-th percentile (0-100) by linear interpolation; fine for p99 of 30+ samples (it is then near the max)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def fmt_s(seconds):
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"


def alternate(names, runs):
    """The order of each round: rotated every round so no tool always goes first (or right after a given tool)."""
    for i in range(runs):
        k = i % len(names)
        yield names[k:] + names[:k]


class Section:
    """A section's Markdown lines and its target verdicts: (target text, measured text, met: bool)."""

    def __init__(self, lines, targets=()):
        self.lines = lines
        self.targets = list(targets)


class Context:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.cli = args.cli
        self.tmp = tempfile.mkdtemp(prefix="runpod-bench-")
        # The CLI's own state (its pod ledger) goes to a scratch directory, not the user's home.
        self.base_env = dict(os.environ)
        self.base_env.update(XDG_STATE_HOME=os.path.join(self.tmp, "state"), XDG_CONFIG_HOME=os.path.join(self.tmp, "config"))
        for name in ("RUNPOD_LAUNCHER_LOG_LEVEL", "RUNPOD_LAUNCHER_PROFILE"):
            self.base_env.pop(name, None)

    def runs(self, full, quick):
        return quick if self.quick else full


# ------------------------------------------------------------------------------------------ 1. cold start + one call


def section_cold_start(ctx):
    runs = ctx.runs(ctx.args.runs, 3)
    tools = {
        "`runpod-launcher gpus`": [ctx.cli, "gpus"],
        "Python SDK: `import runpod; get_gpus()`": [PY, os.path.join(HERE, "sdk_gpus.py")],
        "`requests`: GET /v2/catalog/gpus": [PY, os.path.join(HERE, "requests_gpus.py")],
    }
    ours, sdk = list(tools)[0], list(tools)[1]
    # Context rows, no request made: what each runtime costs before doing anything.
    tools["_context: `runpod-launcher --help` (no request)_"] = [ctx.cli, "--help"]
    tools["_context: `python3 -c pass` (the interpreter alone)_"] = [PY, "-c", "pass"]
    wall = {name: [] for name in tools}
    rss = {name: [] for name in tools}
    with Emulator(ctx) as emu:
        env = emu.env()
        for name in tools:  # one unmeasured run each: page cache and .pyc files warm for everyone
            run_measured(tools[name], env)
        for order in alternate(list(tools), runs):
            for name in order:
                wall[name].append(run_measured(tools[name], env)[0])
                rss[name].append(peak_rss(tools[name], env))
    our_wall, our_rss = median(wall[ours]), median(rss[ours])
    lines = [
        "## 1. Cold start + one call",
        "",
        f"A new process that lists the GPU catalog once; {runs} alternating runs each after one warm-up run. Peak RSS is "
        f"the process's `ru_maxrss`, from a separate run of each through {RSS_METHOD}. The two context rows make no "
        "request.",
        "",
        "| tool | wall median | min | max | peak RSS median | wall: them / us | memory: them / us |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in tools:
        med, mem = median(wall[name]), median(rss[name])
        lines.append(f"| {name} | {fmt_s(med)} | {fmt_s(min(wall[name]))} | {fmt_s(max(wall[name]))} | {mem:.1f} MiB | "
                     f"{med / our_wall:.1f}× | {mem / our_rss:.1f}× |")
    lines += [
        "",
        "The launcher is the shipping build of `scripts/build-release`: static Swift runtime, every function in its "
        "own section, the functions the everyday commands run packed together at the front of the code by lld "
        "(`scripts/release/runpod-launcher.order`, recorded under valgrind by `scripts/release/order-file.py`), no "
        "dynamic symbol table, compact relocations. Most of its peak RSS is the binary's own pages, mapped from the "
        "page cache; the kernel maps code in large chunks around each page touched (fault-around and large page-cache "
        "folios), so it is how close together the executed code lies, not how much runs, that sets the figure. The "
        "`--help` row is the floor before any HTTP client exists; the Python rows start from the interpreter's floor. "
        "What each step bought on this machine, measured with the same `gpus` run: see \"Peak memory, step by step\" "
        "below.",
    ]
    speed = median(wall[sdk]) / our_wall
    memory = our_rss / median(rss[sdk])
    return Section(lines, [
        ("start + one call ≥ 50× faster than the SDK", f"{speed:.0f}×", speed >= 50),
        ("peak memory ≤ 1/3 of the SDK's", f"{memory:.2f} of it ({our_rss:.1f} vs {median(rss[sdk]):.1f} MiB)", memory <= 1 / 3),
    ])


# ------------------------------------------------------------------------------------- 2. whole lifecycle, no delays

ZERO = {"imagePullSeconds": 0, "containerStartSeconds": 0, "appStartSeconds": 0}


def section_lifecycle(ctx):
    runs = ctx.runs(ctx.args.runs, 3)
    tools = {
        "`runpod-launcher run -- true`": [ctx.cli, "run", "--gpu", GPU, "--", "true"],
        "Python SDK (GraphQL), the seed's loop": [PY, os.path.join(HERE, "sdk_lifecycle.py")],
        "`requests` (REST v2) script": [PY, os.path.join(HERE, "requests_lifecycle.py")],
    }
    ours = list(tools)[0]
    wall = {name: [] for name in tools}
    calls = {name: [] for name in tools}
    rss = {name: [] for name in tools}
    ops = {}
    with Emulator(ctx, timings=ZERO) as emu:
        env = emu.env()
        for name in tools:
            run_measured(tools[name], env)
        for order in alternate(list(tools), runs):
            for name in order:
                before = Emulator.api_calls(emu.state())
                w = run_measured(tools[name], env)[0]
                after = Emulator.api_calls(emu.state())
                diff = {op: after[op] - before.get(op, 0) for op in after if after[op] != before.get(op, 0)}
                wall[name].append(w)
                calls[name].append(sum(diff.values()))
                rss[name].append(peak_rss(tools[name], env))
                ops[name] = diff
        leaked = emu.alive()
    our_wall = median(wall[ours])
    lines = [
        "## 2. Whole lifecycle, zero delays",
        "",
        "Launch → ready (RUNNING, ports published, app answering through the proxy) → terminate (confirmed), in one "
        f"process, against an emulator whose pods start instantly; {runs} alternating runs each after a warm-up run. "
        "API calls are counted by the emulator (REST operations and GraphQL requests; proxy probes are not API calls).",
        "",
        "| tool | wall median | min | max | RunPod API calls (median) | peak RSS median | wall: them / us |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in tools:
        med = median(wall[name])
        lines.append(f"| {name} | {fmt_s(med)} | {fmt_s(min(wall[name]))} | {fmt_s(max(wall[name]))} | "
                     f"{median(calls[name]):.0f} | {median(rss[name]):.1f} MiB | {med / our_wall:.1f}× |")
    lines += ["", "Calls per run, by operation:", ""]
    for name in tools:
        lines.append(f"- {name}: " + ", ".join(f"{op} {n}" for op, n in sorted(ops[name].items())))
    lines += ["", f"Pods left alive after all runs: {len(leaked)}."]
    our_calls = median(calls[ours])
    return Section(lines, [
        ("zero-delay lifecycle ≤ 150 ms", fmt_s(our_wall), our_wall <= 0.150),
        ("zero-delay lifecycle ≤ 6 RunPod API calls", f"{our_calls:.0f}", our_calls <= 6),
        ("no pod left alive", str(len(leaked)), not leaked),
    ])


# ---------------------------------------------------------------------------------------------- 3. readiness lag


def lag_timings(rng):
    """A provisioning delay (image pull + container start) and an app delay, varied per launch so the moment the
    app answers falls at every phase of the launcher's polling."""
    return {"imagePullSeconds": round(rng.uniform(0.6, 1.6), 3), "containerStartSeconds": round(rng.uniform(0.2, 0.6), 3),
            "appStartSeconds": round(rng.uniform(0.3, 1.5), 3)}


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def section_readiness_lag(ctx):
    runs = ctx.runs(ctx.args.lag_runs, 6)
    sdk_runs = ctx.runs(ctx.args.lag_baseline_runs, 2)
    rng = random.Random(5)
    lags, polls, leaked = [], [], 0
    for _ in range(runs):
        with Emulator(ctx, timings=lag_timings(rng)) as emu:
            env = emu.env()
            _, out, reported = run_measured([ctx.cli, "launch", "--gpu", GPU, "--json"], env)
            pod_id = json.loads(out)["id"]
            state = emu.state()
            pod = next(p for p in state["pods"] if p["id"] == pod_id)
            lags.append(reported - parse_time(pod["appReadyAt"]))
            polls.append(Emulator.api_calls(state).get("getPod", 0))
            run_measured([ctx.cli, "terminate", pod_id], env)
            leaked += len(emu.alive())
    baseline = {}
    for name, script in (("Python SDK, the seed's 2 s loop", "sdk_lifecycle.py"), ("`requests`, 1 s loop", "requests_lifecycle.py")):
        values, reads = [], []
        for _ in range(sdk_runs):
            with Emulator(ctx, timings=lag_timings(rng)) as emu:
                env = emu.env()
                env["BENCH_PRINT_READY"] = "1"
                _, out, _ = run_measured([PY, os.path.join(HERE, script)], env)
                ready_at = float(next(line.split()[1] for line in out.splitlines() if line.startswith("ready ")))
                pod_id = out.split()[-1]
                state = emu.state()
                pod = next(p for p in state["pods"] if p["id"] == pod_id)
                values.append(ready_at - parse_time(pod["appReadyAt"]))
                c = Emulator.api_calls(state)
                reads.append(c.get("getPod", 0) + c.get("graphql:pod", 0))
                leaked += len(emu.alive())
        baseline[name] = (values, reads)
    p50, p99 = median(lags), pct(lags, 99)
    lines = [
        "## 3. Readiness lag",
        "",
        f"{runs} launches of `runpod-launcher launch --json`, each against a fresh emulator whose pods take a provisioning "
        "delay of 0.8-2.2 s and an app delay of 0.3-1.5 s after RUNNING (varied per launch). Lag is the time from the "
        "moment the emulated app began answering (the emulator's `appReadyAt`) to the moment the CLI's ready answer "
        "reached its stdout. Reads are `GET /v2/pods/{id}` calls per launch (the wait's API cost).",
        "",
        "| tool | launches | lag p50 | lag p99 | min | max | pod reads per launch (median) |",
        "|---|---|---|---|---|---|---|",
        f"| `runpod-launcher launch` | {len(lags)} | {fmt_s(p50)} | {fmt_s(p99)} | {fmt_s(min(lags))} | {fmt_s(max(lags))} | "
        f"{median(polls):.0f} |",
    ]
    for name, (values, reads) in baseline.items():
        lines.append(f"| {name} | {len(values)} | {fmt_s(median(values))} | {fmt_s(pct(values, 99))} | {fmt_s(min(values))} | "
                     f"{fmt_s(max(values))} | {median(reads):.0f} |")
    lines += ["", f"Pods left alive afterwards: {leaked}."]
    return Section(lines, [
        ("readiness lag p50 ≤ 0.3 s", fmt_s(p50), p50 <= 0.3),
        ("readiness lag p99 ≤ 1 s", fmt_s(p99), p99 <= 1.0),
    ])


# ----------------------------------------------------------------------------------------- 4. emulator throughput


def _hammer(args):
    """One keep-alive client on a raw socket (http.client would cost more CPU than the server): sends a request,
    reads the answer by Content-Length, counts 200s."""
    port, path, seconds = args
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {KEY}\r\n"
               "Accept: application/json\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buffer = b""
    count = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sock.sendall(request)
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(65536)
        head, _, buffer = buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(buffer) < length:
            buffer += sock.recv(65536)
        buffer = buffer[length:]
        if head.startswith(b"HTTP/1.1 200"):
            count += 1
    sock.close()
    return count


def section_throughput(ctx):
    seconds, rounds, workers = (2, 1, 2) if ctx.quick else (5, 3, 2)
    results = []
    with Emulator(ctx) as emu:
        _, out, _ = run_measured([ctx.cli, "launch", "--gpu", GPU, "--json", "--no-wait"], emu.env())
        pod_id = json.loads(out)["id"]
        conn = http.client.HTTPConnection("127.0.0.1", emu.port)
        conn.request("GET", f"/v2/pods/{pod_id}", headers={"Authorization": f"Bearer {KEY}"})
        answer = conn.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise SystemExit(f"GET /v2/pods/{pod_id} answered {answer.status}: {body[:300]!r}")
        for _ in range(rounds):
            with multiprocessing.Pool(workers) as pool:
                start = time.perf_counter()
                counts = pool.map(_hammer, [(emu.port, f"/v2/pods/{pod_id}", seconds)] * workers)
                results.append(sum(counts) / (time.perf_counter() - start))
        run_measured([ctx.cli, "terminate", pod_id], emu.env())
    lines = [
        "## 4. Emulator throughput",
        "",
        f"`GET /v2/pods/{{id}}` (authenticated, {len(body)} bytes of JSON) from {workers} keep-alive clients for {seconds} s, "
        f"{rounds} round(s). Clients and server share the machine's cores, so this is a floor.",
        "",
        "| median | min | max |",
        "|---|---|---|",
        f"| {median(results):,.0f} req/s | {min(results):,.0f} req/s | {max(results):,.0f} req/s |",
    ]
    return Section(lines, [("emulator ≥ 2,000 GET /v2/pods/{id} per second", f"{median(results):,.0f}/s", median(results) >= 2000)])


# ------------------------------------------------------------------------------------------------------- the file

SECTIONS = [
    (10, "cold start + one call", section_cold_start),
    (20, "whole lifecycle, zero delays", section_lifecycle),
    (30, "readiness lag", section_readiness_lag),
    (40, "emulator throughput", section_throughput),
]


def load_plugins():
    """Other modules here (e.g. fleet.py) that define `SECTION = (order, title, function(ctx) -> Section)`."""
    found = []
    sys.path.insert(0, HERE)
    for file in sorted(os.listdir(HERE)):
        if not file.endswith(".py") or file == "bench.py" or file.startswith(("sdk_", "requests_")):
            continue
        with open(os.path.join(HERE, file)) as f:
            if "\nSECTION = " not in f.read():  # a plain script: importing it would run it
                continue
        module = importlib.import_module(file[:-3])
        if hasattr(module, "SECTION"):
            found.append(module.SECTION)
    return found


def machine_line(args, load_before, load_after):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    return (f"Measured by `scripts/bench{' --quick' if args.quick else ''}` on "
            f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}: {os.cpu_count()} cores ({cpu}), "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}, release build of runpod-launcher. "
            f"Load average {load_before[0]:.1f} before and {load_after[0]:.1f} after.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a fast smoke run (few runs each); prints the tables, writes a file only with --output")
    parser.add_argument("--runs", type=int, default=10, help="alternating runs per tool in sections 1 and 2 (default 10)")
    parser.add_argument("--lag-runs", type=int, default=30, help="launches for the readiness lag (default 30)")
    parser.add_argument("--lag-baseline-runs", type=int, default=5, help="Python baseline launches for the lag (default 5)")
    parser.add_argument("--only", action="append", default=[], help="run only sections whose title contains this (repeatable)")
    parser.add_argument("--cli", default=os.environ.get("BENCH_CLI", os.path.join(ROOT, ".build-release", "release", "runpod-launcher")))
    parser.add_argument("--output", help="the Markdown file to write (default: BENCHMARKS.md on a full run; none with --quick or --only)")
    args = parser.parse_args()
    if not os.access(args.cli, os.X_OK):
        raise SystemExit(f"{args.cli} is not built; run scripts/bench (it builds it)")
    ctx = Context(args)
    sections = sorted(SECTIONS + load_plugins(), key=lambda s: s[0])
    if args.only:
        sections = [s for s in sections if any(o.lower() in s[1].lower() for o in args.only)]
    load_before = os.getloadavg()
    results = []
    try:
        for index, (_, title, function) in enumerate(sections, 1):
            print(f"{index}/{len(sections)} {title} …", file=sys.stderr, flush=True)
            started = time.perf_counter()
            try:
                results.append(function(ctx))
            except (Exception, SystemExit) as error:  # one broken section must not cost the others' numbers
                message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                print(f"    failed: {error}", file=sys.stderr, flush=True)
                results.append(Section([f"## {title}", "", f"This section failed: `{message[:300]}`"],
                                       [(title, "section failed", False)]))
            print(f"    {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    load_after = os.getloadavg()

    targets = [t for r in results for t in r.targets]
    lines = [
        "# Benchmarks",
        "",
        machine_line(args, load_before, load_after),
        "",
        "Every tool runs against the same local `runpod-launcher emulator` (REST v2 and the GraphQL API the Python SDK "
        "uses, over loopback), so the numbers measure the client: start-up, round trips and polling, not RunPod. "
        "Runs alternate between tools. Medians first; single runs on a shared machine are noisy (other builds may run "
        "at the same time), so read the ratios rather than single figures. Rerun with `scripts/bench` "
        "(`scripts/bench --quick` for a smoke run).",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in targets]
    for result in results:
        lines += [""] + result.lines
    text = "\n".join(lines) + "\n"
    # Only a full run may rewrite BENCHMARKS.md by default: a smoke or partial run must not end up committed.
    output = args.output or (None if args.quick or args.only else os.path.join(ROOT, "BENCHMARKS.md"))
    if output:
        with open(output, "w") as f:
            f.write(text)
    print(text)
    if output:
        print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
