"""API budget while pods start: how many RunPod API requests `runpod-launcher launch --count N` makes from the first
create until every pod is ready, and the most it makes in any minute while waiting, for N = 1, 10 and 100 pods that
take 25 s to answer (15 s image pull, 5 s container start, 5 s app start; real time, no scaling: the launcher's
poll schedule is wall-clock time).

Every request goes through fleet.py's counting proxy, so the figures are counted, not inferred. Runs on its own
(`python3 scripts/benchmarks/api_budget.py [--cli PATH]`) and as a bench.py section (SECTION below)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet import KEY, ROOT, CountingProxy, busiest_window, free_port, operation, wait_for_emulator  # noqa: E402

GPU = "NVIDIA A40"
DATA_CENTER = "EU-RO-1"
TIMINGS = {"imagePullSeconds": 15, "containerStartSeconds": 5, "appStartSeconds": 5}
START_SECONDS = sum(TIMINGS.values())
WAIT_READS = ("getPod", "listPods", "getPodLogs")


class Result:
    def __init__(self, lines, targets):
        self.lines = lines
        self.targets = targets


def measure(cli, count, base_env, tmp):
    """One `launch --count N`: the requests it made, by operation and time, and how long it took."""
    scenario = os.path.join(tmp, f"budget-{count}.json")
    with open(scenario, "w") as f:
        json.dump({"timings": TIMINGS, "stock": [{"dataCenterId": DATA_CENTER, "gpuTypeId": GPU, "count": count + 20}]}, f)
    port = free_port()
    emulator = subprocess.Popen([cli, "emulator", "--port", str(port), "--scenario", scenario],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    proxy = None
    try:
        wait_for_emulator(base, emulator)
        proxy = CountingProxy(port)
        env = dict(base_env)
        env.update(RUNPOD_API_BASE_URL=f"http://127.0.0.1:{proxy.port}", RUNPOD_API_KEY=KEY,
                   RUNPOD_LAUNCHER_PROXY_URL=base + "/proxy/{podId}-{port}", XDG_STATE_HOME=os.path.join(tmp, f"state-{count}"))
        env.pop("RUNPOD_NETWORK_VOLUME_ID", None)
        started = time.perf_counter()
        launch = subprocess.run([cli, "launch", "--count", str(count), "--gpu", GPU, "--timeout", "300", "--json"],
                                env=env, capture_output=True, text=True, timeout=900)
        ended = time.perf_counter()
        if launch.returncode != 0:
            raise SystemExit(f"launch --count {count} failed ({launch.returncode}): {launch.stderr[-2000:]}")
        document = json.loads(launch.stdout)
        ready = len(document["pods"]) if "pods" in document else 1  # one pod: the pod itself
        subprocess.run([cli, "terminate", "--all-mine", "--include-owned"], env=env, capture_output=True, timeout=600)
        # The proxy records a request when its answer is complete: a log stream only once RunPod ends it (the pod gone).
        time.sleep(2)
        with proxy.lock:
            records = [(t, {"pod logs": "getPodLogs"}.get(operation(m, p), operation(m, p))) for t, m, p, _ in proxy.records if t <= ended]
        first_create = min(t for t, op in records if op == "createPod")
        after_create = [(t, op) for t, op in records if t >= first_create]
        waiting = [t for t, op in after_create if op in WAIT_READS]
        by_op = {}
        for _, op in after_create:
            by_op[op] = by_op.get(op, 0) + 1
        return {
            "count": count, "ready": ready, "seconds": ended - started, "after_create": len(after_create),
            "by_op": by_op, "busiest_wait_minute": busiest_window(sorted(waiting)), "creates": by_op.get("createPod", 0),
        }
    finally:
        if proxy:
            proxy.stop()
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
            emulator.wait()


def budget_section(cli, counts, base_env=None, tmp=None):
    tmp = tmp or tempfile.mkdtemp(prefix="runpod-budget-")
    base_env = base_env or dict(os.environ)
    rows = [measure(cli, n, base_env, tmp) for n in counts]
    lines = [
        "## API budget while pods start",
        "",
        f"`runpod-launcher launch --count N` against `runpod-launcher emulator` with pods whose app answers {START_SECONDS} s "
        "after the create (15 s image pull, 5 s container start, 5 s app start; real time, no rate limit), every request "
        "counted by a proxy. Requests from create to ready count everything after the first create (creates, status reads, "
        "the log stream); waiting reads are status reads and log streams. One `getPod` per tick watches one pod, one "
        "`listPods` per tick watches several; the app is probed through RunPod's proxy (no API budget), and one read "
        "confirms it when it answers. Rerun with `python3 scripts/benchmarks/api_budget.py`.",
        "",
        "| pods | ready after | requests, create → all ready | per pod | of which status reads + logs | most waiting requests in any 60 s |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        reads = sum(n for op, n in r["by_op"].items() if op in WAIT_READS)
        ops = ", ".join(f"{op} {n}" for op, n in sorted(r["by_op"].items(), key=lambda kv: -kv[1]))
        lines.append(f"| {r['count']} | {r['seconds']:.1f} s | {r['after_create']} ({ops}) | {r['after_create'] / r['count']:.2f} | "
                     f"{reads} | {r['busiest_wait_minute']} |")
    single = next((r for r in rows if r["count"] == 1), None)
    targets = []
    if single:
        targets.append((f"a {START_SECONDS} s start costs at most 8 API requests from create to ready (log stream included)",
                        f"{single['after_create']}", single["after_create"] <= 8))
    worst = max(rows, key=lambda r: r["busiest_wait_minute"])
    targets.append(("at most 20 API requests a minute while pods start, for 1 pod and for 100",
                    ", ".join(f"N={r['count']}: {r['busiest_wait_minute']}" for r in rows), worst["busiest_wait_minute"] <= 20))
    targets.append(("every pod ready", ", ".join(f"{r['ready']}/{r['count']}" for r in rows), all(r["ready"] == r["count"] for r in rows)))
    return Result(lines, targets)


def _bench_section(ctx):
    counts = [1, 10] if getattr(ctx, "quick", False) else [1, 10, 100]
    return budget_section(ctx.cli, counts, base_env=ctx.base_env, tmp=ctx.tmp)


SECTION = (45, "API budget while pods start", _bench_section)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cli", default=os.environ.get("BENCH_CLI", os.path.join(ROOT, ".build-release", "release", "runpod-launcher")))
    parser.add_argument("--counts", default="1,10,100")
    args = parser.parse_args()
    result = budget_section(args.cli, [int(n) for n in args.counts.split(",")])
    print("\n".join(result.lines) + "\n\n" + "\n".join(
        f"- target: {name}: {value} — {'met' if ok else 'NOT met'}" for name, value, ok in result.targets))
    if not all(ok for _, _, ok in result.targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
