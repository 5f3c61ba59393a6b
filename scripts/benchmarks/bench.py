#!/usr/bin/env python3
"""Benchmarks runpod-launcher against RunPod's Python SDK and a lean `requests` script, all three against the
same `runpod-launcher emulator`, alternating runs, and rewrites BENCHMARKS.md. Run through `scripts/bench`."""
import argparse
import datetime
import http.client
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.path.join(ROOT, ".build", "release", "runpod-launcher")
PY = sys.executable
KEY = "rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION"
VOLUME = "rp-vol-comfyui01"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """A `runpod-launcher emulator` subprocess on a free loopback port."""

    def __init__(self, *extra):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [CLI, "emulator", "--port", str(self.port), *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                self.state()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the emulator did not start")

    def state(self):
        with urllib.request.urlopen(self.base + "/_emulator/state", timeout=5) as answer:
            return json.load(answer)

    def calls(self):
        return sum(n for op, n in self.state().get("calls", {}).items() if not op.startswith("_"))

    def env(self):
        env = dict(os.environ)
        env.update(RUNPOD_API_BASE_URL=self.base, RUNPOD_API_KEY=KEY, RUNPOD_NETWORK_VOLUME_ID=VOLUME,
                   BENCH_VOLUME_ID=VOLUME, RUNPOD_LAUNCHER_PROXY_URL=self.base + "/proxy/{podId}-{port}")
        return env

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def timed(cmd, env):
    """Runs `cmd`; returns (wall seconds, peak RSS in MiB, stdout). Peak RSS from the kernel via wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{err.decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, out.decode()


def summary(values):
    return statistics.median(values), min(values), max(values)


def bench_cold_start(emu, runs):
    tools = {
        "runpod-launcher gpus": [CLI, "gpus"],
        "Python SDK: import runpod; get_gpus()": [PY, os.path.join(HERE, "sdk_gpus.py")],
        "requests: GET /v2/catalog/gpus": [PY, os.path.join(HERE, "requests_gpus.py")],
    }
    wall = {name: [] for name in tools}
    rss = {name: [] for name in tools}
    names = list(tools)
    for i in range(runs):
        for name in names[i % 3:] + names[:i % 3]:  # alternate the order every run
            w, r, _ = timed(tools[name], emu.env())
            wall[name].append(w)
            rss[name].append(r)
    return wall, rss


def bench_lifecycle(emu, runs):
    tools = {
        "runpod-launcher run -- true": [CLI, "run", "--", "true"],
        "Python SDK (GraphQL) script": [PY, os.path.join(HERE, "sdk_lifecycle.py")],
        "requests (REST v2) script": [PY, os.path.join(HERE, "requests_lifecycle.py")],
    }
    wall = {name: [] for name in tools}
    calls = {name: [] for name in tools}
    names = list(tools)
    for i in range(runs):
        for name in names[i % 3:] + names[:i % 3]:
            before = emu.calls()
            w, _, _ = timed(tools[name], emu.env())
            wall[name].append(w)
            calls[name].append(emu.calls() - before)
    alive = [p for p in emu.state()["pods"] if p.get("alive")]
    return wall, calls, len(alive)


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def bench_readiness_lag(emu, runs):
    lags, polls = [], []
    for _ in range(runs):
        env = emu.env()
        before = emu.state()["calls"].get("getPod", 0)
        proc = subprocess.Popen([CLI, "launch", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = proc.stdout.readline()
        reported = time.time()
        proc.wait()
        pod_id = json.loads(out)["id"]
        polls.append(emu.state()["calls"].get("getPod", 0) - before)
        pod = next(p for p in emu.state()["pods"] if p["id"] == pod_id)
        lags.append(reported - parse_time(pod["appReadyAt"]))
        subprocess.run([CLI, "terminate", pod_id], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return lags, polls


def _hammer(args):
    port, path, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {KEY}"}
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        answer.read()
        if answer.status == 200:
            count += 1
    return count


def bench_emulator(emu, seconds, workers):
    out = subprocess.run([CLI, "launch", "--json", "--no-probe"], env=emu.env(), capture_output=True, check=True)
    pod_id = json.loads(out.stdout)["id"]
    results = []
    for _ in range(3):
        with multiprocessing.Pool(workers) as pool:
            start = time.perf_counter()
            counts = pool.map(_hammer, [(emu.port, f"/v2/pods/{pod_id}", seconds)] * workers)
            results.append(sum(counts) / (time.perf_counter() - start))
    subprocess.run([CLI, "terminate", pod_id], env=emu.env(), capture_output=True, check=True)
    return results


def fmt_ms(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--lag-runs", type=int, default=30)
    parser.add_argument("--output", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = parser.parse_args()

    lines = []
    emu = Emulator("--time-scale", "0")
    try:
        print("1/4 cold start + one call …", file=sys.stderr)
        wall, rss = bench_cold_start(emu, args.runs)
        print("2/4 whole lifecycle, zero delays …", file=sys.stderr)
        lwall, lcalls, leaked = bench_lifecycle(emu, args.runs)
        print("4/4 emulator throughput …", file=sys.stderr)
        rps = bench_emulator(emu, 5, 2)
    finally:
        emu.stop()
    emu = Emulator("--time-scale", "0.02")
    try:
        print("3/4 readiness lag …", file=sys.stderr)
        lags, polls = bench_readiness_lag(emu, args.lag_runs)
        lag_leaked = len([p for p in emu.state()["pods"] if p.get("alive")])
    finally:
        emu.stop()

    ours = "runpod-launcher gpus"
    lines += [
        "# Benchmarks",
        "",
        f"Measured by `scripts/bench` on {datetime.date.today().isoformat()}, {os.cpu_count()} cores, "
        f"{platform.machine()} Linux, against `runpod-launcher emulator` on loopback; {args.runs} alternating runs per "
        "tool unless noted. Medians first; this machine is noisy, so read ratios, not single figures.",
        "",
        "## 1. Cold start + one call",
        "",
        "| tool | wall median | min | max | peak RSS median | wall ratio (them / us) | memory ratio (them / us) |",
        "|---|---|---|---|---|---|---|",
    ]
    our_wall, our_rss = statistics.median(wall[ours]), statistics.median(rss[ours])
    for name in wall:
        med, lo, hi = summary(wall[name])
        mem = statistics.median(rss[name])
        lines.append(f"| {name} | {fmt_ms(med)} | {fmt_ms(lo)} | {fmt_ms(hi)} | {mem:.1f} MiB | "
                     f"{med / our_wall:.1f}× | {mem / our_rss:.1f}× |")
    ours = "runpod-launcher run -- true"
    our_wall = statistics.median(lwall[ours])
    lines += [
        "",
        "## 2. Whole lifecycle, zero delays (launch → ready → terminate)",
        "",
        "| tool | wall median | min | max | RunPod API calls (median) | wall ratio (them / us) |",
        "|---|---|---|---|---|---|",
    ]
    for name in lwall:
        med, lo, hi = summary(lwall[name])
        lines.append(f"| {name} | {fmt_ms(med)} | {fmt_ms(lo)} | {fmt_ms(hi)} | {statistics.median(lcalls[name]):.0f} | "
                     f"{med / our_wall:.1f}× |")
    lines.append(f"\nPods alive after all lifecycle runs: {leaked}.")
    q = statistics.quantiles(lags, n=100)
    lines += [
        "",
        f"## 3. Readiness lag ({len(lags)} launches, emulator time scale 0.02)",
        "",
        "Time from the emulated app first answering to `runpod-launcher launch --json` printing the ready pod.",
        "",
        "| p50 | p99 | min | max | API polls per launch (median) |",
        "|---|---|---|---|---|",
        f"| {fmt_ms(statistics.median(lags))} | {fmt_ms(q[98])} | {fmt_ms(min(lags))} | {fmt_ms(max(lags))} | "
        f"{statistics.median(polls):.0f} |",
        f"\nPods alive afterwards: {lag_leaked}.",
        "",
        "## 4. Emulator throughput",
        "",
        "`GET /v2/pods/{id}` with 2 keep-alive Python clients for 5 s, 3 rounds (client and server share the 2 cores).",
        "",
        "| median | min | max |",
        "|---|---|---|",
        f"| {statistics.median(rps):,.0f} req/s | {min(rps):,.0f} req/s | {max(rps):,.0f} req/s |",
        "",
    ]
    with open(args.output, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
