#!/usr/bin/env python3
"""Soak test (issues 4 and 11): many lifecycles of the real binary against the emulator with random faults and random
interrupt timing, a share of them launching several pods (`--count 2..3`); counts leaked pods (alive after the
launcher exited) and duplicated pods (two pods for one launch ID). Not part of `swift test`: run
`python3 scripts/soak.py` after `swift build` (or `-c release`)."""
import argparse
import collections
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
KEY = "rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION"
OPERATIONS = ["getNetworkVolume", "listGpuTypes", "createPod", "getPod", "deletePod", "listPods", None]
KINDS = [
    {"kind": "serverError", "status": 503},
    {"kind": "rateLimited", "retryAfterSeconds": 1},
    {"kind": "latency", "milliseconds": 300},
    {"kind": "dropConnectionAfterApply"},
    {"kind": "malformedJSON"},
    {"kind": "truncatedJSON"},
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method="POST" if data else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as answer:
        raw = answer.read()
        return json.loads(raw) if raw else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "runpod-launcher"))
    parser.add_argument("--time-scale", default="0.005")
    parser.add_argument("--multi-share", type=float, default=0.3, help="share of runs that launch 2 or 3 pods (--count)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    emulator = subprocess.Popen([args.binary, "emulator", "--port", str(port), "--time-scale", args.time_scale],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            request(base, "/_emulator/state")
            break
        except OSError:
            time.sleep(0.1)
    env = dict(os.environ, RUNPOD_API_BASE_URL=base, RUNPOD_API_KEY=KEY,
               RUNPOD_LAUNCHER_PROXY_URL=base + "/proxy/{podId}-{port}")
    env.pop("RUNPOD_NETWORK_VOLUME_ID", None)
    exits = collections.Counter()
    leaked, duplicated, hung = [], [], []
    try:
        for i in range(args.runs):
            faults = []
            for _ in range(rng.randint(0, 2)):
                rule = dict(rng.choice(KINDS), probability=rng.choice([0.2, 0.5]))
                operation = rng.choice(OPERATIONS)
                if operation:
                    rule["operation"] = operation
                faults.append(rule)
            request(base, "/_emulator/faults", faults)
            name = f"soak-{args.seed}-{i}"
            command = rng.choice([["run", "--timeout", "10", "--", "true"], ["launch", "--timeout", "10"]])
            count = rng.choice([2, 3]) if rng.random() < args.multi_share else 1
            if count > 1:
                command = [command[0], "--count", str(count), *command[1:]]
            proc = subprocess.Popen([args.binary, command[0], "--name", name, *command[1:]], env=env,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            interrupt = rng.random() < 0.35
            if interrupt:
                time.sleep(rng.uniform(0.0, 1.0))
                proc.send_signal(rng.choice([signal.SIGINT, signal.SIGTERM]))
            try:
                out, _ = proc.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, _ = proc.communicate()
                hung.append(name)
            exits[proc.returncode] += 1
            request(base, "/_emulator/faults", [])
            pods = [p for p in request(base, "/_emulator/state")["pods"]
                    if p["name"] == name or p["name"].startswith(name + "-")]
            launch_ids = collections.Counter(
                ((p.get("createRequest") or {}).get("env") or {}).get("RUNPOD_LAUNCHER_LAUNCH_ID") or p["name"] for p in pods)
            if len(pods) > count or any(n > 1 for n in launch_ids.values()):
                duplicated.append(f"{name} ({len(pods)} pods for {count})")
            # `launch` succeeding hands the pod to the user on purpose: that one is not a leak; remove it.
            kept = command[0] == "launch" and proc.returncode == 0
            for pod in pods:
                if pod.get("alive"):
                    if kept:
                        subprocess.run([args.binary, "terminate", pod["id"]], env=env, capture_output=True)
                    else:
                        leaked.append(f"{name} ({pod['id']}, exit {proc.returncode})")
            print(f"[{i + 1:3}/{args.runs}] {command[0]:6} x{count} faults={len(faults)} interrupt={interrupt!s:5} "
                  f"exit={proc.returncode} pods={len(pods)}", file=sys.stderr)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    print(f"lifecycles: {args.runs}; leaked pods: {len(leaked)}; duplicated launches: {len(duplicated)}; "
          f"hung: {len(hung)}")
    print("exit codes: " + ", ".join(f"{code}×{n}" for code, n in sorted(exits.items())))
    for line in leaked + duplicated + hung:
        print("  " + line)
    sys.exit(1 if leaked or duplicated or hung else 0)


if __name__ == "__main__":
    main()
