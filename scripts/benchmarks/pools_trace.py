#!/usr/bin/env python3
"""Pools: a bursty day of ComfyUI jobs, submitted through leases, against `runpod-launcher serve` and the emulator.

Time-scaled: the emulator runs at `--time-scale` (0.01: RunPod's 90 s cold start takes 0.9 s) and serve ticks every
`--tick` real seconds. Every figure below is in emulated seconds (real seconds ÷ time scale), including the pool's
settings, which serve reads in real seconds and this script converts (idle timeout 300 s → 3 s real at 0.01).

Each job of a seeded trace (bursts of Poisson arrivals with quiet gaps) is one simulated worker, as a Celery task
would be: lease a pod (`POST /v1/pools/NAME/leases`), `POST /prompt` to the leased pod's URL with
`extra_data.emulator_seconds`, poll `/history/{prompt_id}` until it is there, release (`DELETE /v1/leases/ID`).
After the trace the pool is deleted and the emulator is asked what it saw:

- pod-seconds: Σ over pods of (terminatedAt − createdAt), the time RunPod bills, against the oracle lower bound
  (Σ job seconds ÷ perPodConcurrency) and against keeping `max` pods on for the whole trace;
- wait for a pod: lease request → 201, p50 and p95;
- jobs lost by a scale-down: Σ comfy.jobsLostByTermination (must be 0); pods alive after the delete (must be 0).

Standalone: `python3 scripts/benchmarks/pools_trace.py [--runs 3] [--cli PATH]` (default: the debug build); also a
bench.py section (SECTION below). Settings are whole real seconds for serve: a scale-down delay that is not a multiple
of 1 ÷ time scale needs another `--time-scale` (0.02 with `--tick 0.4 --poll 0.1` keeps 20 s ticks and 5 s polls).
`pools_model.py` explores the same trace through a model of the policy, in seconds."""
import argparse
import datetime
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "service"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fidelity"))

POOL = "comfy"
TOKEN = "pools-trace-token"
WORKFLOW = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 1, "steps": 20, "cfg": 7.0, "model": ["4", 0]}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
    "9": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "trace"}},
}


# ------------------------------------------------------------------------------------------------------ the trace


def make_trace(seed, bursts=5):
    """A day compressed to its busy hours: `bursts` bursts of Poisson arrivals (rate and length drawn per burst) with
    quiet gaps between them, job lengths log-normal around 60 s (clipped to 15–240 s). Emulated seconds.
    Returns (jobs [(arrival, seconds)], burst windows [(start, end)], trace length)."""
    rng = random.Random(seed)
    jobs, windows = [], []
    t = 300.0  # a quiet start: the pool begins at zero
    for _ in range(bursts):
        length = rng.uniform(600, 1500)           # 10–25 min of traffic
        concurrency = rng.uniform(1.5, 5.0)       # mean jobs in progress at once (Little's law)
        mean_job = 60.0
        rate = concurrency / mean_job             # arrivals per second
        start, end = t, t + length
        arrival = start
        while True:
            arrival += rng.expovariate(rate)
            if arrival >= end:
                break
            seconds = min(240.0, max(15.0, rng.lognormvariate(math.log(mean_job), 0.5)))
            jobs.append((round(arrival, 1), round(seconds, 1)))
        windows.append((start, end))
        t = end + rng.uniform(900, 2700)          # 15–45 min quiet
    return jobs, windows, t


def peak_overlap(jobs):
    """The most jobs whose [arrival, arrival + seconds) overlap: what a zero-latency pool would have needed."""
    events = sorted([(a, 1) for a, s in jobs] + [(a + s, -1) for a, s in jobs], key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def clairvoyant_pod_seconds(jobs, cold):
    """A lower bound on pod-seconds for any pool that runs every job when it arrives: one that knows the future, starts
    each pod exactly `cold` seconds before it is needed and ends it the moment it is not. Pods are layers of the
    concurrency profile; layer k must be up whenever more than k - 1 jobs run, and a gap in it shorter than a cold start
    is cheaper kept than restarted. Each layer costs its up time plus one cold start per run of it. It is a bound for
    pools that run every job on arrival; one that makes jobs wait could pack them tighter, but under the issue's rules
    a waiting request starts a pod at once, so waiting saves a start only when another pod frees first. Returns
    (pod-seconds, starts)."""
    events = sorted([(a, 1) for a, s in jobs] + [(a + s, -1) for a, s in jobs], key=lambda e: (e[0], e[1]))
    level, began, layers = 0, {}, {}
    for t, step in events:
        if step == 1:
            level += 1
            began[level] = t
        else:
            layers.setdefault(level, []).append((began[level], t))
            level -= 1
    total, starts = 0.0, 0
    for runs in layers.values():
        runs.sort()
        start, end = runs[0]
        for s, e in runs[1:]:
            if s - end < cold:
                end = max(end, e)
            else:
                total, starts = total + end - start + cold, starts + 1
                start, end = s, e
        total, starts = total + end - start + cold, starts + 1
    return total, starts


# ------------------------------------------------------------------------------------------------------ one run


class Worker(threading.Thread):
    """One job as a Celery task would run it: lease, POST /prompt to the pod, poll /history, release in `finally`."""

    def __init__(self, base, scale, job, started_at, results, poll):
        super().__init__(daemon=True)
        self.base, self.scale, self.job, self.t0, self.results, self.poll = base, scale, job, started_at, results, poll

    def run(self):
        arrival, seconds = self.job
        delay = self.t0 + arrival * self.scale - time.time()
        if delay > 0:
            time.sleep(delay)
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        record = {"arrival": arrival, "seconds": seconds, "retries": 0, "ok": False}
        asked = time.time()
        record["asked"] = asked
        lease = None
        try:
            while lease is None:
                answer = session.post(f"{self.base}/v1/pools/{POOL}/leases", json={"ttlSeconds": 3600, "waitSeconds": 300}, timeout=330)
                if answer.status_code == 201:
                    lease = answer.json()
                elif answer.status_code == 503:
                    record["retries"] += 1
                    time.sleep(float(answer.headers.get("Retry-After", "1")))
                else:
                    raise RuntimeError(f"lease: {answer.status_code} {answer.text[:300]}")
            record["granted"] = time.time()
            record["wait"] = (record["granted"] - asked) / self.scale
            record["pod"] = lease["podId"]
            url = next(iter(lease["urls"].values()))
            queued = requests.post(f"{url}/prompt", json={"prompt": WORKFLOW, "extra_data": {"emulator_seconds": seconds}}, timeout=30)
            if queued.status_code != 200:
                raise RuntimeError(f"POST /prompt: {queued.status_code} {queued.text[:300]}")
            prompt_id = queued.json()["prompt_id"]
            misses = 0
            while True:
                history = requests.get(f"{url}/history/{prompt_id}", timeout=30)
                if history.status_code != 200:
                    # The pod's app is gone (the proxy answers 404 for a terminated pod): the job was lost.
                    misses += 1
                    if misses >= 20:
                        raise RuntimeError(f"pod {lease['podId']} gone while leased: GET /history answered {history.status_code}")
                else:
                    misses = 0
                    entry = history.json().get(prompt_id)
                    if entry is not None:
                        record["status"] = (entry.get("status") or {}).get("status_str")
                        record["ok"] = record["status"] == "success"
                        break
                time.sleep(self.poll)
        except Exception as error:  # noqa: BLE001 -- a failed job is a result, not a crash of the benchmark
            record["error"] = str(error)[:300]
        finally:
            if lease is not None:
                released = session.delete(f"{self.base}/v1/leases/{lease['id']}", timeout=30)
                if released.status_code != 204:
                    record["release"] = f"{released.status_code} {released.text[:200]}"
            self.results.append(record)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def one_run(cli, args, seed, workdir):
    import common
    import harness

    scale = args.time_scale
    jobs, windows, length = make_trace(seed, args.bursts)
    os.makedirs(workdir, exist_ok=True)
    scenario = harness.big_stock_scenario(os.path.join(workdir, "scenario.json"))
    profiles = os.path.join(workdir, "profiles.toml")
    real = lambda emulated: max(0, round(emulated * scale))  # serve reads whole real seconds
    with open(profiles, "w") as f:
        f.write(f"""[comfyui]
gpus = ["NVIDIA GeForce RTX 4090"]

[pools.{POOL}]
profile = "comfyui"
max = {args.max}
per-pod-concurrency = 1
idle-timeout-seconds = {real(args.idle_timeout)}
scale-down-delay-seconds = {real(args.scale_down_delay)}
""")
    os.environ.update(RUNPOD_LAUNCHER_BIN=cli, EMULATOR_TIME_SCALE=f"{scale:g}", EMULATOR_ARGS=f"--scenario {scenario}")
    os.environ.pop("EMULATOR_URL", None)
    with common.Emulator() as emulator:
        service = harness.Service(emulator, workdir, token=TOKEN, tick=args.tick, binary=cli)
        base = service.start("--profiles", profiles)
        try:
            results = []
            t0 = time.time() + 0.5
            workers = [Worker(base, scale, job, t0, results, args.poll) for job in jobs]
            for worker in workers:
                worker.start()
            # The trace runs its full length (the last quiet gap included), then the pool is deleted.
            time.sleep(max(0.0, t0 + length * scale - time.time()))
            join_by = time.time() + 120
            for worker in workers:
                worker.join(timeout=max(0.1, join_by - time.time()))
            auth = {"Authorization": f"Bearer {TOKEN}"}
            deleted = requests.delete(f"{base}/v1/pools/{POOL}", headers=auth, timeout=30)
            deadline = time.time() + 60
            while time.time() < deadline and requests.get(f"{base}/v1/pools/{POOL}", headers=auth, timeout=30).status_code != 404:
                time.sleep(0.1)
            gone = requests.get(f"{base}/v1/pools/{POOL}", headers=auth, timeout=30).status_code == 404
            time.sleep(0.5)
            state = emulator.state()
        finally:
            service.stop()
    now = time.time()
    pods = harness.stamped_pods(state, alive_only=False)
    pod_seconds = sum(((parse_time(p["terminatedAt"]) if p.get("terminatedAt") else now) - parse_time(p["createdAt"])) / scale for p in pods)
    cold = [(parse_time(p["appReadyAt"]) - parse_time(p["createdAt"])) / scale for p in pods if p.get("appReadyAt")]
    waits = sorted(r["wait"] for r in results if "wait" in r)
    cold_total = sum((parse_time(p["appReadyAt"]) - parse_time(p["createdAt"])) / scale for p in pods if p.get("appReadyAt"))
    # How long after a new pod's app answered its first lease was granted: serve's readiness detection, in the wait.
    first_grant = {}
    for r in results:
        if "granted" in r:
            first_grant[r["pod"]] = min(first_grant.get(r["pod"], r["granted"]), r["granted"])
    lags = sorted((first_grant[p["id"]] - parse_time(p["appReadyAt"])) / scale for p in pods if p.get("appReadyAt") and p["id"] in first_grant)
    # A cold wait, split: request → its pod created (the decision and the create), created → app answering (the cold
    # start), app answering → lease granted (serve noticing). For requests whose pod was created after they asked and
    # that were its first lease.
    by_id = {p["id"]: p for p in pods}
    to_create, to_app, to_grant = [], [], []
    for r in results:
        pod = by_id.get(r.get("pod"))
        if not pod or not pod.get("appReadyAt") or first_grant.get(r["pod"]) != r["granted"]:
            continue
        created, app = parse_time(pod["createdAt"]), parse_time(pod["appReadyAt"])
        if created > r["asked"]:
            to_create.append((created - r["asked"]) / scale)
            to_app.append((app - created) / scale)
            to_grant.append((r["granted"] - app) / scale)
    job_seconds = sum(s for _, s in jobs)
    return {
        "seed": seed, "jobs": len(jobs), "bursts": len(windows), "length": length, "job_seconds": job_seconds,
        "peak_overlap": peak_overlap(jobs), "pods_created": len(pods), "pod_seconds": pod_seconds,
        "oracle": job_seconds / 1, "clairvoyant": clairvoyant_pod_seconds(jobs, 90.0)[0],
        "clairvoyant_starts": clairvoyant_pod_seconds(jobs, 90.0)[1], "always_on": args.max * length, "cold_start": statistics.median(cold) if cold else float("nan"),
        "wait_p50": pct(waits, 50), "wait_p95": pct(waits, 95), "wait_max": waits[-1] if waits else float("nan"),
        "ended_before_ready": len([p for p in pods if p.get("terminatedAt") and (not p.get("appReadyAt") or parse_time(p["terminatedAt"]) <= parse_time(p["appReadyAt"]))]),
        "cold_seconds": cold_total, "idle_seconds": pod_seconds - cold_total - job_seconds,
        "split_n": len(to_create), "ask_to_create_p50": pct(sorted(to_create), 50), "ask_to_create_p95": pct(sorted(to_create), 95),
        "create_to_app_p50": pct(sorted(to_app), 50), "app_to_grant_p50": pct(sorted(to_grant), 50), "app_to_grant_p95": pct(sorted(to_grant), 95),
        "ready_to_lease_p50": pct(lags, 50), "ready_to_lease_max": lags[-1] if lags else float("nan"),
        "cold_waits": len([w for w in waits if w > 2 * args.tick / scale]),
        "cold_wait_p50": pct([w for w in waits if w > 2 * args.tick / scale], 50),
        "lost": sum(p["comfy"]["jobsLostByTermination"] for p in pods),
        "completed": sum(p["comfy"]["jobsCompleted"] for p in pods), "ok": sum(1 for r in results if r["ok"]),
        "gone_while_leased": sum(1 for r in results if "gone while leased" in r.get("error", "")),
        "unfinished": len(jobs) - len(results),
        "errors": [r["error"] for r in results if "error" in r][:3], "retries": sum(r["retries"] for r in results),
        "delete_status": deleted.status_code, "pool_gone": gone,
        "left_alive": len([p for p in pods if p.get("alive")]),
    }


def pct(values, p):
    if not values:
        return float("nan")
    index = max(0, math.ceil(p / 100 * len(values)) - 1)
    return values[index]


# ------------------------------------------------------------------------------------------------------ report


def report(args, runs):
    med = lambda key: statistics.median(r[key] for r in runs)
    tick = args.tick / args.time_scale
    cold = med("cold_start")
    bursts = runs[0]["bursts"]
    budget = [1.3 * r["oracle"] + r["bursts"] * r["cold_start"] for r in runs]
    wait_budget = [r["cold_start"] + 2 * tick for r in runs]
    first = runs[0]
    lines = [
        "## Pools: a bursty day through leases",
        "",
        f"`scripts/benchmarks/pools_trace.py` on {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"binary `{os.path.relpath(args.cli, ROOT) if args.cli.startswith(ROOT) else args.cli}`; {len(runs)} run(s), medians. "
        f"Emulator time scale {args.time_scale:g}, serve `--tick {args.tick:g}` (= {tick:.0f} emulated s). "
        "Every figure is in emulated seconds.",
        "",
        f"Trace (seed {first['seed']}{', +1 per run' if len(runs) > 1 else ''}): {bursts} bursts of Poisson arrivals, each 10–25 min "
        "with a mean of 1.5–5 jobs in progress, 15–45 min quiet between them and 5 min before the first; job lengths "
        f"log-normal around 60 s (15–240 s); {first['jobs']} jobs, {first['job_seconds']:.0f} job-seconds, "
        f"{first['length'] / 3600:.1f} h, at most {first['peak_overlap']} jobs overlapping (first run). One simulated worker per job: "
        "lease (`waitSeconds` 300) → `POST /prompt` to the pod's URL → poll `/history/{id}` every "
        f"{args.poll / args.time_scale:.0f} s → release. Pool: RTX 4090 profile, `max` {args.max}, `perPodConcurrency` 1, "
        f"`idleTimeoutSeconds` {args.idle_timeout:.0f}, `scaleDownDelaySeconds` {args.scale_down_delay:.0f} (emulated; "
        f"serve gets {round(args.idle_timeout * args.time_scale)} s and {round(args.scale_down_delay * args.time_scale)} s), source `leases`. "
        "The emulator's cold start (create → app answering) is 90 s (image pull 45 + container 15 + app 30).",
        "",
        "| run | jobs | pods created | pod-seconds | oracle | ÷ oracle | always-on max | wait p50 | wait p95 | wait max | lost by scale-down | leased pod terminated | pods left after delete |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs, 1):
        lines.append(f"| {i} (seed {r['seed']}) | {r['ok']}/{r['jobs']} ok | {r['pods_created']} | {r['pod_seconds']:,.0f} | {r['oracle']:,.0f} | "
                     f"{r['pod_seconds'] / r['oracle']:.2f}× | {r['always_on']:,.0f} | {r['wait_p50']:.0f} s | {r['wait_p95']:.0f} s | "
                     f"{r['wait_max']:.0f} s | {r['lost']} | {r['gone_while_leased']} | {r['left_alive']} |")
    ratio = statistics.median(r["pod_seconds"] / r["oracle"] for r in runs)
    lines += [
        "",
        f"Median pod-seconds {med('pod_seconds'):,.0f} = {ratio:.2f}× the oracle ({med('oracle'):,.0f}) and "
        f"{statistics.median(r['pod_seconds'] / r['always_on'] for r in runs):.2f}× always-on `max` ({med('always_on'):,.0f}). "
        f"Budget 1.3 × oracle + {bursts} cold starts = {statistics.median(budget):,.0f}. "
        f"A clairvoyant pool (each pod started exactly a cold start before it is needed, ended the moment it is not, no "
        f"wait) would use {med('clairvoyant'):,.0f} = {statistics.median(r['clairvoyant'] / r['oracle'] for r in runs):.2f}× the oracle with "
        f"{med('clairvoyant_starts'):.0f} starts: {statistics.median(r['clairvoyant'] / b for r, b in zip(runs, budget)):.2f}× the budget. "
        f"Median wait p50 {med('wait_p50'):.0f} s, p95 {med('wait_p95'):.0f} s against a budget of one cold start + 2 ticks = "
        f"{statistics.median(wait_budget):.0f} s (cold start measured at {cold:.0f} s median).",
    ]
    lines += [
        "",
        "Where the pod-seconds went, and what a cold wait is made of (medians over runs):",
        "",
        f"- running jobs {med('job_seconds'):,.0f} s; starting (create → app answering, {med('pods_created'):.0f} pods × ~{cold:.0f} s) "
        f"{med('cold_seconds'):,.0f} s; ready but idle or between jobs {med('idle_seconds'):,.0f} s;",
        f"- a new pod's app answering → its first lease granted: p50 {med('ready_to_lease_p50'):.0f} s, max {med('ready_to_lease_max'):.0f} s "
        "(serve's readiness detection, in real time not scaled by the emulator);",
        f"- a request that waited for a pod created for it ({med('split_n'):.0f} of them): asked → pod created p50 "
        f"{med('ask_to_create_p50'):.0f} s (p95 {med('ask_to_create_p95'):.0f}); created → app answering p50 {med('create_to_app_p50'):.0f} s; "
        f"app answering → lease granted p50 {med('app_to_grant_p50'):.0f} s (p95 {med('app_to_grant_p95'):.0f});",
        f"- pods ended before their app answered (a start thrown away by a scale-down): {med('ended_before_ready'):.0f};",
        f"- lease requests that waited more than 2 ticks (no free ready pod): {med('cold_waits'):.0f} of {med('jobs'):.0f}, "
        f"their median wait {med('cold_wait_p50'):.0f} s.",
    ]
    for r in runs:
        if r["errors"]:
            lines.append(f"\nSeed {r['seed']}: errors, first ones: {r['errors']}")
    pod_ok = all(r["pod_seconds"] <= b for r, b in zip(runs, budget))
    wait_ok = all(r["wait_p95"] <= b for r, b in zip(runs, wait_budget))
    targets = [
        ("pools: pod-seconds ≤ 1.3× oracle + one cold start per burst",
         f"{med('pod_seconds'):,.0f} vs {statistics.median(budget):,.0f} ({ratio:.2f}× oracle)", pod_ok),
        ("pools: p95 wait for a pod ≤ one cold start + 2 ticks", f"{med('wait_p95'):.0f} s vs {statistics.median(wait_budget):.0f} s", wait_ok),
        ("pools: 0 jobs interrupted by a scale-down", f"{sum(r['lost'] for r in runs)}", all(r["lost"] == 0 for r in runs)),
        ("pools: 0 pods left after the pool is deleted", f"{sum(r['left_alive'] for r in runs)}", all(r["left_alive"] == 0 for r in runs)),
        ("pools: every job completed", f"{sum(r['ok'] for r in runs)}/{sum(r['jobs'] for r in runs)}",
         all(r["ok"] == r["jobs"] for r in runs)),
    ]
    return lines, targets


class Result:
    def __init__(self, lines, targets):
        self.lines, self.targets = lines, targets


def run_all(args):
    runs = []
    with tempfile.TemporaryDirectory(prefix="pools-trace-") as tmp:
        for i in range(args.runs):
            seed = args.seed + i
            print(f"run {i + 1}/{args.runs} (seed {seed}) …", file=sys.stderr, flush=True)
            started = time.time()
            r = one_run(args.cli, args, seed, os.path.join(tmp, f"run-{i}"))
            print(f"    {time.time() - started:.0f} s: {json.dumps({k: v for k, v in r.items() if k != 'errors'})}", file=sys.stderr, flush=True)
            runs.append(r)
    return runs


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cli", default=os.environ.get("BENCH_CLI", os.environ.get("RUNPOD_LAUNCHER_BIN", os.path.join(ROOT, ".build", "debug", "runpod-launcher"))))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--bursts", type=int, default=5)
    p.add_argument("--max", type=int, default=12, help="the pool's max (default 12)")
    p.add_argument("--time-scale", type=float, default=0.01)
    p.add_argument("--tick", type=float, default=0.2, help="serve --tick, real seconds (default 0.2)")
    p.add_argument("--poll", type=float, default=0.05, help="real seconds between /history polls (default 0.05)")
    p.add_argument("--idle-timeout", type=float, default=300, help="idleTimeoutSeconds, emulated (default 300)")
    p.add_argument("--scale-down-delay", type=float, default=100, help="scaleDownDelaySeconds, emulated (default 100: 1 s real at 0.01)")
    p.add_argument("--json", help="also write the runs as JSON here")
    return p


def _bench_section(ctx):
    args = parser().parse_args([])
    args.cli = ctx.cli
    args.runs = 1 if getattr(ctx, "quick", False) else 3
    lines, targets = report(args, run_all(args))
    return Result(lines, targets)


SECTION = (60, "pools: a bursty day through leases", _bench_section)


def main():
    args = parser().parse_args()
    args.cli = os.path.abspath(args.cli)
    if not os.access(args.cli, os.X_OK):
        raise SystemExit(f"{args.cli} is missing: run `swift build` (or pass --cli)")
    runs = run_all(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    lines, targets = report(args, runs)
    print("\n".join(lines) + "\n")
    for name, value, ok in targets:
        print(f"- target: {name}: {value} — {'met' if ok else 'NOT met'}")
    sys.exit(0 if all(ok for _, _, ok in targets) else 1)


if __name__ == "__main__":
    main()
