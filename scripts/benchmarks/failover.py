#!/usr/bin/env python3
"""Failover under load: three `runpod-launcher serve` replicas on one PostgreSQL database against the emulator, a
steady stream of lease requests through random replicas, and `kill -9` of the leader at random moments (20 times by
default; the killed replica is started again each time, so three keep running).

Reports: time from the kill to another replica answering `/healthz` with `"leader": true` (p50, p95, max); lease
requests that failed on a live replica (an error status, or a 503 for want of a pod) against those sent to the replica
just killed (a connection error; a client with several replica URLs sends those again elsewhere, as the workers here
do); and, after the pool is deleted, pods leaked (alive with the service's stamp) and launches that ever had two pods.

Run: `python3 scripts/benchmarks/failover.py [--kills 20] [--cli PATH]` (default: the debug build). PostgreSQL: the
server at $RUNPOD_LAUNCHER_TEST_POSTGRES, or a throw-away cluster (scripts/postgres/cluster.sh). Needs `requests`,
openapi-core and jsonschema (scripts/service/requirements.txt), as scripts/check-replicas.sh installs them."""
import argparse
import datetime
import os
import platform
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "service"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fidelity"))

import requests  # noqa: E402

from check_replicas import PostgresServer, Replicas  # noqa: E402
from common import Emulator  # noqa: E402
from harness import big_stock_scenario, pods_by_launch_id, stamped_pods  # noqa: E402


class Load:
    """Workers that lease, hold briefly and release, each through a random running replica."""

    def __init__(self, replicas, token, workers=3):
        self.replicas = replicas
        self.headers = {"Authorization": f"Bearer {token}"}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {"sent": 0, "granted": 0, "failed": 0, "to_dead_replica": 0, "released": 0}
        self.failures = []
        self.threads = [threading.Thread(target=self.work, args=(n,), daemon=True) for n in range(workers)]

    def count(self, key, detail=None):
        with self.lock:
            self.counts[key] += 1
            if detail:
                self.failures.append(detail)

    def base(self):
        alive = [s.base for s in self.replicas.services if s.alive()]
        return random.choice(alive) if alive else None

    def work(self, n):
        rng = random.Random(n)
        while not self.stop.is_set():
            base = self.base()
            if base is None:
                time.sleep(0.05)
                continue
            self.count("sent")
            try:
                answer = requests.post(base + "/v1/pools/comfy/leases", json={"ttlSeconds": 60, "waitSeconds": 30},
                                       headers=self.headers, timeout=45)
            except requests.RequestException:
                self.count("to_dead_replica")  # A worker with several URLs sends it again elsewhere: the loop does.
                continue
            if answer.status_code != 201:
                self.count("failed", f"{answer.status_code} {answer.text[:200]}")
                time.sleep(0.2)
                continue
            self.count("granted")
            lease = answer.json()["id"]
            time.sleep(rng.uniform(0.3, 1.2))
            for _ in range(20):  # Release through any running replica; retry on the one just killed.
                try:
                    requests.delete(self.base() + f"/v1/leases/{lease}", headers=self.headers, timeout=10)
                    self.count("released")
                    break
                except (requests.RequestException, TypeError):
                    time.sleep(0.05)

    def start(self):
        for thread in self.threads:
            thread.start()

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def first_reconcile(base, deadline):
    """When the replica at `base` (which has not led before in this process: a leader is always the one killed)
    finished its first reconcile tick, from its /metrics."""
    while time.time() < deadline:
        try:
            text = requests.get(base + "/metrics", timeout=2).text
            for line in text.splitlines():
                if line.startswith("runpod_launcher_reconcile_duration_seconds_count") and float(line.split()[-1]) >= 1:
                    return time.time()
        except requests.RequestException:
            pass
        time.sleep(0.05)
    return float("inf")


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--cli", default=None, help="the runpod-launcher binary (default: the debug build)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.cli:
        os.environ["RUNPOD_LAUNCHER_BIN"] = os.path.abspath(args.cli)
    random.seed(args.seed)
    workdir = tempfile.mkdtemp(prefix="bench-failover-")
    scenario = big_stock_scenario(os.path.join(workdir, "scenario.json"))
    os.environ["EMULATOR_ARGS"] = (os.environ.get("EMULATOR_ARGS", "") + f" --scenario {scenario}").strip()
    token = "svc_" + secrets.token_urlsafe(32)
    started = datetime.datetime.now(datetime.timezone.utc)
    with PostgresServer(workdir) as database, Emulator() as emulator:
        replicas = Replicas(emulator, workdir, database.url, token, tick=2.0)  # serve's default tick
        try:
            replicas.start()
            headers = {"Authorization": f"Bearer {token}"}
            first = replicas.services[0].base
            answer = requests.put(first + "/v1/pools/comfy", headers=headers, timeout=10,
                                  json={"profile": "comfyui", "min": 2, "max": 4, "idleTimeoutSeconds": 600})
            assert answer.status_code in (200, 201), answer.text
            deadline = time.time() + 120
            while time.time() < deadline:
                pool = requests.get(first + "/v1/pools/comfy", headers=headers, timeout=10).json()
                if pool["pods"]["ready"] >= 2:
                    break
                time.sleep(0.5)
            load = Load(replicas, token)
            load.start()
            times, reconciles = [], []
            for kill in range(args.kills):
                time.sleep(random.uniform(2.0, 8.0))
                leader = replicas.wait_for_one_leader(30)
                if leader is None:
                    raise SystemExit("no single leader before a kill")
                killed_at = replicas.services[leader].kill9()
                new = replicas.wait_for_one_leader(60, excluding=(leader,))
                elapsed = time.time() - killed_at
                if new is None:
                    raise SystemExit(f"kill {kill + 1}: no new leader within 60 s")
                times.append(elapsed)
                resumed = first_reconcile(replicas.services[new].base, deadline=killed_at + 60) - killed_at
                reconciles.append(resumed)
                print(f"kill {kill + 1}: replica {leader} -> replica {new} leads after {elapsed:.2f} s, reconciles after "
                      f"{resumed:.2f} s", file=sys.stderr)
                replicas.restart(leader)
            load.finish()
            # Delete the pool; every pod must go.
            requests.delete(replicas.services[0].base + "/v1/pools/comfy", headers=headers, timeout=10)
            deadline = time.time() + 120
            while time.time() < deadline and stamped_pods(emulator.state()):
                time.sleep(0.5)
            state = emulator.state()
            leaked = [p["id"] for p in stamped_pods(state)]
            duplicated = {k: v for k, v in pods_by_launch_id(state, alive_only=False).items() if len(v) > 1}
        finally:
            replicas.stop()
    counts = load.counts
    print()
    print(f"Failover benchmark, {started:%Y-%m-%d %H:%M} UTC: {platform.machine()}, {os.cpu_count()} cores, "
          f"{os.path.basename(os.environ.get('RUNPOD_LAUNCHER_BIN', '.build/debug/runpod-launcher'))} "
          f"({os.environ.get('RUNPOD_LAUNCHER_BIN', 'debug build')}), 3 replicas, tick 2 s, seed {args.seed}")
    print()
    print("| measure | value |")
    print("|---|---|")
    print(f"| leader kills | {len(times)} |")
    print(f"| kill -9 → new leader: p50 / p95 / max | {statistics.median(times):.2f} / {percentile(times, 0.95):.2f} / "
          f"{max(times):.2f} s (target ≤ 10 s) |")
    print(f"| kill -9 → the new leader's first reconcile tick: p50 / p95 / max | {statistics.median(reconciles):.2f} / "
          f"{percentile(reconciles, 0.95):.2f} / {max(reconciles):.2f} s (target: 2 ticks + detection ≤ 10 s) |")
    print(f"| lease requests sent / granted | {counts['sent']} / {counts['granted']} |")
    print(f"| failed on a live replica (error status or 503) | {counts['failed']} |")
    print(f"| sent to the replica just killed (connection error; sent again elsewhere) | {counts['to_dead_replica']} |")
    print(f"| pods leaked after the pool was deleted | {len(leaked)} (target 0) |")
    print(f"| launches with two pods | {len(duplicated)} (target 0) |")
    if load.failures:
        print(f"\nfailures: {load.failures[:5]}")
    return 0 if not leaked and not duplicated and counts["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
