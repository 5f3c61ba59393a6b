"""Service benchmarks for `runpod-launcher serve` (issue 13), against the emulator, on a release build:

1. `GET /v1/pods/{id}` throughput with wrk (target ≥ 5,000 req/s on 2 cores);
2. latency at a fixed 1,000 req/s (an asyncio client on raw keep-alive sockets that sends on a schedule and measures
   from the scheduled time, so a stall counts against the server: no coordinated omission);
3. RunPod API calls per minute with 100 ready launches at steady state, counted by the emulator (target ≤ 20/min);
4. the service's RSS with 1,000 launches recorded (target ≤ 64 MiB);
5. time from `kill -9` (while creates are in flight) to reconciled after a restart.

Rerun: `swift build -c release && python3 scripts/benchmarks/service.py --write` (needs `requests`, and wrk:
`apt-get install -y wrk`). --write replaces the "Service" section of BENCHMARKS.md; `scripts/bench` also runs this
file as one of its sections (SECTION below). --cli picks the binary (default: $BENCH_CLI, else .build/release)."""
import argparse
import asyncio
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "service"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fidelity"))

TARGET_RPS = 5000
TARGET_CALLS_PER_MIN = 20
TARGET_RSS_MIB = 64
RATE = 1000
WRK_INSTALL = "wrk is not installed: `apt-get install -y wrk` (Debian), then run this again"


def median(values):
    return statistics.median(values)


def percentile(values, p):
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def api_calls(state):
    """RunPod API calls the emulator counted (REST operations and GraphQL); app-proxy probes are not API calls."""
    return sum(n for op, n in state.get("calls", {}).items() if not op.startswith("_") and op != "proxy")


def calls_by_operation(state):
    return {op: n for op, n in state.get("calls", {}).items() if not op.startswith("_") and op != "proxy"}


# ------------------------------------------------------------------------------------------------------ throughput


def wrk_throughput(base, token, launch_id, tmp, seconds, threads=2, connections=32):
    script = os.path.join(tmp, "auth.lua")
    with open(script, "w") as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\nwrk.headers["Accept"] = "application/json"\n')
    run = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", script, "--latency",
                          f"{base}/v1/pods/{launch_id}"], capture_output=True, text=True, timeout=seconds + 60)
    if run.returncode != 0:
        raise SystemExit(f"wrk failed: {run.stderr[-500:]}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", run.stdout).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", run.stdout)
    errors = re.search(r"Socket errors: (.*)", run.stdout)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} answers that were not 200:\n{run.stdout}")
    return rps, (errors.group(1) if errors else None)


# --------------------------------------------------------------------------------------------- fixed-rate latency


async def _paced(host, port, path, token, rate, seconds, connections):
    """Sends `rate` requests a second for `seconds` over `connections` keep-alive connections; returns the latency
    of each (from its scheduled send time to the end of its answer) and how many were not 200."""
    request = (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
               "Accept: application/json\r\n\r\n").encode()
    total = int(rate * seconds)
    start = time.perf_counter() + 0.2
    queue = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(start + i / rate)
    latencies, bad = [], [0]

    async def worker():
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                try:
                    due = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - due)
                if not head.startswith(b"HTTP/1.1 200"):
                    bad[0] += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    achieved = total / (time.perf_counter() - start)
    return latencies, bad[0], achieved


def fixed_rate_latency(base, token, launch_id, seconds, connections=16):
    host, port = base.split("//", 1)[1].rsplit(":", 1)
    latencies, bad, achieved = asyncio.run(_paced(host, int(port), f"/v1/pods/{launch_id}", token, RATE, seconds, connections))
    if bad:
        raise SystemExit(f"{bad} answers at {RATE} req/s were not 200")
    return percentile(latencies, 50), percentile(latencies, 99), max(latencies), achieved


# ------------------------------------------------------------------------------------------------------ the service


def memory_status(pid):
    """VmRSS, VmHWM (peak), RssAnon (heap and stacks) and RssFile (the mapped binary and libraries), in MiB."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                found[name] = int(value.split()[0]) / 1024
    return found


class Bench:
    def __init__(self, cli, tmp, quick):
        from common import Emulator  # noqa: E402 -- scripts/fidelity/common.py, after sys.path is set
        from harness import Service, big_stock_scenario

        self.quick = quick
        self.tmp = tmp
        os.environ["RUNPOD_LAUNCHER_BIN"] = cli
        os.environ.pop("EMULATOR_URL", None)
        os.environ["EMULATOR_ARGS"] = f"--scenario {big_stock_scenario(os.path.join(tmp, 'scenario.json'))}"
        os.environ.setdefault("EMULATOR_TIME_SCALE", "0.02")
        self.emulator = Emulator().__enter__()
        import secrets
        self.token = "svc_" + secrets.token_urlsafe(24)
        self.service = Service(self.emulator, tmp, token=self.token, tick=2.0, binary=cli)
        self.service.start()
        import requests
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    @property
    def base(self):
        return self.service.base

    def create(self, body):
        answer = self.session.post(f"{self.base}/v1/pods", json=body, timeout=30)
        if answer.status_code != 202:
            raise SystemExit(f"POST /v1/pods: {answer.status_code} {answer.text[:300]}")
        return answer.json()["id"]

    def get(self, launch_id):
        return self.session.get(f"{self.base}/v1/pods/{launch_id}", timeout=30).json()

    def launches(self):
        found, cursor = [], None
        while True:
            params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
            page = self.session.get(f"{self.base}/v1/pods", params=params, timeout=60).json()
            found += page["pods"]
            cursor = page["nextCursor"]
            if not cursor:
                return found

    def wait_all(self, ids, states, timeout):
        deadline = time.time() + timeout
        wanted = set(ids)
        while True:
            current = {l["id"]: l["state"] for l in self.launches() if l["id"] in wanted}
            if all(current.get(i) in states for i in ids):
                return
            if time.time() > deadline:
                counts = {}
                for state in current.values():
                    counts[state] = counts.get(state, 0) + 1
                raise SystemExit(f"{len(ids)} launches not all {states} after {timeout} s: {counts}")
            time.sleep(0.5)

    def reconciliation(self):
        """(tracked, settled): tracked when every live pod carrying the service's stamp belongs to a live launch that
        names that pod and no launch ID has two live pods (the issue's promise after a restart); settled when, on top
        of that, no launch is between states (pending, creating, starting, terminating)."""
        from harness import ENDED_STATES, LAUNCH_ID_ENV, pod_env, pods_by_launch_id, stamped_pods
        state = self.emulator.state()
        launches = {l["id"]: l for l in self.launches()}
        tracked = not any(len(p) > 1 for p in pods_by_launch_id(state).values())
        for pod in stamped_pods(state):
            launch = launches.get(pod_env(pod).get(LAUNCH_ID_ENV))
            if not launch or launch["state"] in ENDED_STATES or launch["podId"] != pod["id"]:
                tracked = False
        settled = tracked and all(l["state"] in ("ready", "terminated", "failed") for l in launches.values())
        return tracked, settled

    def close(self):
        self.service.stop()
        self.emulator.__exit__(None, None, None)


def run(cli, quick=False):
    if not shutil.which("wrk"):
        raise SystemExit(WRK_INSTALL)
    if not os.access(cli, os.X_OK):
        raise SystemExit(f"{cli} is not built: `swift build -c release` (or scripts/build-release)")
    tmp = tempfile.mkdtemp(prefix="service-bench-")
    rounds = 1 if quick else 3
    results = {}
    load_before = os.getloadavg()
    bench = Bench(cli, tmp, quick)
    try:
        # One ready launch to read over and over (1 and 2, after the memory figure).
        launch_id = bench.create({"name": "bench-read", "timeoutSeconds": 300})
        bench.wait_all([launch_id], ("ready",), 120)
        body_bytes = len(bench.session.get(f"{bench.base}/v1/pods/{launch_id}", timeout=10).content)

        # 3: 100 ready launches; the RunPod calls the service makes per minute once they are all ready.
        live = 10 if quick else 100
        ids = [bench.create({"name": f"bench-live-{i}", "timeoutSeconds": 600}) for i in range(live - 1)] + [launch_id]
        started = time.time()
        bench.wait_all(ids, ("ready",), 600)
        results["ready_seconds"] = time.time() - started
        time.sleep(2 * bench.service.tick + 1)  # settle: probes and creates finished
        window = 20 if quick else 60
        results["calls"] = []
        results["calls_by_op"] = []
        for _ in range(1 if quick else 2):
            before = bench.emulator.state()
            time.sleep(window)
            after = bench.emulator.state()
            results["calls"].append((api_calls(after) - api_calls(before)) * 60 / window)
            ops = calls_by_operation(after)
            results["calls_by_op"].append({op: n - calls_by_operation(before).get(op, 0) for op, n in ops.items()
                                           if n - calls_by_operation(before).get(op, 0)})
        results["calls_window"] = window

        # 4: 1,000 launches recorded (the 100 ready ones and 900 more, each deleted at once), then the RSS.
        recorded = 100 if quick else 1000
        extra = [bench.create({"name": f"bench-recorded-{i}", "timeoutSeconds": 600}) for i in range(recorded - live)]
        for launch in extra:
            bench.session.delete(f"{bench.base}/v1/pods/{launch}", timeout=30)
        bench.wait_all(extra, ("terminated", "failed"), 600)
        total = len(bench.launches())
        rss = []
        for _ in range(5):
            bench.launches()  # a full listing, so the figure includes serving all of them
            time.sleep(bench.service.tick)
            rss.append(bench.service.rss_kib() / 1024)
        results["rss"] = rss
        results["recorded"] = total
        results["memory"] = memory_status(bench.service.pid)

        # 1 and 2: throughput, then latency at a fixed rate, then the memory again after that load.
        wrk_seconds = 3 if quick else 10
        results["rps"] = [wrk_throughput(bench.base, bench.token, launch_id, tmp, wrk_seconds)[0] for _ in range(rounds)]
        latency_seconds = 3 if quick else 10
        results["latency"] = [fixed_rate_latency(bench.base, bench.token, launch_id, latency_seconds) for _ in range(rounds)]
        time.sleep(bench.service.tick)
        results["memory_after_load"] = memory_status(bench.service.pid)

        # 5: kill -9 while 5 creates are in flight (with the 100 ready launches standing), restart, reconciled.
        results["kill"] = []
        for round_index in range(rounds):
            fresh = [bench.create({"name": f"bench-crash-{round_index}-{i}", "timeoutSeconds": 600}) for i in range(5)]
            deadline = time.time() + 10
            while time.time() < deadline and not any(bench.get(i)["state"] == "creating" for i in fresh):
                time.sleep(0.02)
            in_flight = sum(bench.get(i)["state"] == "creating" for i in fresh)
            killed_at = bench.service.kill9()
            bench.service.start()
            listening = time.time() - killed_at
            tracked_at = None
            while True:
                tracked, settled = bench.reconciliation()
                if tracked and tracked_at is None:
                    tracked_at = time.time() - killed_at
                if settled:
                    break
                if time.time() - killed_at > 180:
                    raise SystemExit("not reconciled within 180 s of the kill")
                time.sleep(0.1)
            results["kill"].append((tracked_at, time.time() - killed_at, listening, in_flight))
            bench.wait_all(fresh, ("ready",), 120)
            for launch in fresh:
                bench.session.delete(f"{bench.base}/v1/pods/{launch}", timeout=30)
            bench.wait_all(fresh, ("terminated",), 120)
    finally:
        bench.close()
        shutil.rmtree(tmp, ignore_errors=True)
    results["load"] = (load_before, os.getloadavg())
    return results, body_bytes


def section_lines(results, body_bytes, cli, quick):
    rps = median(results["rps"])
    p50 = median(r[0] for r in results["latency"]) * 1000
    p99 = median(r[1] for r in results["latency"]) * 1000
    worst = max(r[2] for r in results["latency"]) * 1000
    achieved = median(r[3] for r in results["latency"])
    calls = median(results["calls"])
    rss = median(results["rss"])
    mem, loaded = results["memory"], results["memory_after_load"]
    tracked = median(k[0] for k in results["kill"])
    settled = median(k[1] for k in results["kill"])
    restart = median(k[2] for k in results["kill"])
    ops = results["calls_by_op"][-1]
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    before, after = results["load"]
    live = 10 if quick else 100
    targets = [
        (f"service: GET /v1/pods/{{id}} ≥ {TARGET_RPS:,} req/s (release, 2 cores)", f"{rps:,.0f}/s", rps >= TARGET_RPS),
        (f"service: RunPod API calls with {live} ready launches ≤ {TARGET_CALLS_PER_MIN}/min", f"{calls:.0f}/min",
         calls <= TARGET_CALLS_PER_MIN),
        (f"service: RSS with {results['recorded']:,} launches recorded ≤ {TARGET_RSS_MIB} MiB", f"{rss:.1f} MiB", rss <= TARGET_RSS_MIB),
        (f"service: RSS after the throughput runs ≤ {TARGET_RSS_MIB} MiB", f"{loaded['VmRSS']:.1f} MiB",
         loaded["VmRSS"] <= TARGET_RSS_MIB),
    ]
    lines = [
        "## Service",
        "",
        f"Measured by `scripts/benchmarks/service.py{' --quick' if quick else ''}` on {when}: {os.cpu_count()} cores ({cpu}), "
        f"{platform.system()} {platform.release()}, `{os.path.relpath(cli, ROOT) if cli.startswith(ROOT) else cli}`, "
        f"load average {before[0]:.1f} before and {after[0]:.1f} after. `runpod-launcher serve` (default tick 2 s, SQLite) "
        "against the emulator (time scale 0.02) on loopback; the load generators share the 2 cores with the service, "
        "so the throughput is a floor. Medians of the runs shown.",
        "",
        "| measure | median | runs | target | ratio to target | met |",
        "|---|---|---|---|---|---|",
        f"| `GET /v1/pods/{{id}}` throughput (wrk, 2 threads, 32 connections, {body_bytes} B answers) | {rps:,.0f} req/s | "
        f"{', '.join(f'{r:,.0f}' for r in results['rps'])} | ≥ {TARGET_RPS:,} req/s | {rps / TARGET_RPS:.2f}× | "
        f"{'yes' if rps >= TARGET_RPS else '**no**'} |",
        f"| latency at a fixed {RATE:,} req/s (16 connections; achieved {achieved:,.0f}/s): p50 / p99 / max | "
        f"{p50:.2f} / {p99:.2f} / {worst:.1f} ms | p99 {', '.join(f'{r[1] * 1000:.2f}' for r in results['latency'])} ms | — | — | — |",
        f"| RunPod API calls a minute with {live} ready launches (steady state, counted by the emulator over "
        f"{results['calls_window']} s) | {calls:.0f}/min | {', '.join(f'{c:.0f}' for c in results['calls'])} | "
        f"≤ {TARGET_CALLS_PER_MIN}/min | {calls / TARGET_CALLS_PER_MIN:.2f}× | {'yes' if calls <= TARGET_CALLS_PER_MIN else '**no**'} |",
        f"| service RSS with {results['recorded']:,} launches recorded ({live} ready, the rest ended), after full listings "
        f"(anon {mem['RssAnon']:.1f} + file {mem['RssFile']:.1f} MiB; peak {mem['VmHWM']:.1f}) | {rss:.1f} MiB | "
        f"{', '.join(f'{r:.1f}' for r in results['rss'])} | ≤ {TARGET_RSS_MIB} MiB | "
        f"{rss / TARGET_RSS_MIB:.2f}× | {'yes' if rss <= TARGET_RSS_MIB else '**no**'} |",
        f"| the same service after the throughput and latency runs (anon {loaded['RssAnon']:.1f} + file "
        f"{loaded['RssFile']:.1f} MiB; peak {loaded['VmHWM']:.1f}) | {loaded['VmRSS']:.1f} MiB | 1 | ≤ {TARGET_RSS_MIB} MiB | "
        f"{loaded['VmRSS'] / TARGET_RSS_MIB:.2f}× | {'yes' if loaded['VmRSS'] <= TARGET_RSS_MIB else '**no**'} |",
        f"| `kill -9` with 5 launches just posted and {live} ready → every stamped pod tracked, no duplicate "
        f"(listening again after) | {tracked:.1f} s ({restart:.2f} s) | {', '.join(f'{k[0]:.1f}' for k in results['kill'])} s "
        f"| within 2 ticks of the restart | — | — |",
        f"| the same kill → every launch settled (ready) | {settled:.1f} s | "
        f"{', '.join(f'{k[1]:.1f} ({k[3]} creating)' for k in results['kill'])} s | — | — | — |",
        "",
        f"Calls in the last window, by operation: {', '.join(f'{op} {n}' for op, n in sorted(ops.items()))}. "
        f"{live} launches went from POST to ready in {results['ready_seconds']:.1f} s. Reconciled means: every live pod "
        "carrying the service's stamp is tracked by a ready launch with that pod, no launch ID has two pods, and no launch "
        "is between states. The other launches of the memory figure are posted together and deleted together, so the "
        "service runs that many creates and terminates at once: the RSS is that burst's high-water mark (anon is the heap, "
        "file the mapped binary). A launch the kill caught in `creating` whose create never reached RunPod is sent again only "
        "after the service's create-settle time (60 s: a lost answer may still show up), so settling takes about a "
        "minute whenever the kill caught one there.",
    ]
    return lines, targets


def _bench_section(ctx):
    from bench import Section
    cli = ctx.cli
    results, body_bytes = run(cli, quick=ctx.quick)
    lines, targets = section_lines(results, body_bytes, cli, ctx.quick)
    return Section(lines, targets)


SECTION = (70, "service: throughput, latency, API budget, memory, crash recovery", _bench_section)


def write_section(lines, path):
    """Replaces the `## Service` section of BENCHMARKS.md (up to the next `## `), or appends it."""
    with open(path) as f:
        text = f.read()
    block = "\n".join(lines) + "\n"
    match = re.search(r"^## Service\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        text = text[:match.start()] + block + ("\n" if match.end() < len(text) else "") + text[match.end():]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_cli = os.environ.get("BENCH_CLI") or os.path.join(ROOT, ".build", "release", "runpod-launcher")
    parser.add_argument("--cli", default=default_cli, help="the runpod-launcher binary (a release build)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short windows, 10 live launches, 100 recorded")
    parser.add_argument("--write", action="store_true", help="replace the Service section of BENCHMARKS.md")
    args = parser.parse_args()
    results, body_bytes = run(os.path.abspath(args.cli), quick=args.quick)
    lines, targets = section_lines(results, body_bytes, os.path.abspath(args.cli), args.quick)
    print("\n".join(lines))
    for name, value, ok in targets:
        print(f"{'met' if ok else 'MISSED'}: {name}: {value}")
    if args.write and not args.quick:
        write_section(lines, os.path.join(ROOT, "BENCHMARKS.md"))
        print("wrote the Service section of BENCHMARKS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
