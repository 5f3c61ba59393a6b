#!/usr/bin/env python3
"""Fleet benchmark: one `runpod-launcher run --count N` launches N pods, waits until every one is ready, and
terminates them all, against `runpod-launcher emulator` with a rate limit set; prints a Markdown section.

Runs on its own (`python3 scripts/benchmarks/fleet.py`, with the release binary in .build-release; it is built if
absent) and is also picked up by bench.py as a section (SECTION below). Every API request goes through a small
counting proxy here, so the section reports what was sent, what was answered 429, and the most requests in any
60-second window, measured rather than inferred; `GET /_emulator/state` then shows how many pods are left alive.

The rate-limit floor: the emulator's limit is a fixed 60-second window per key that opens with the window's first
request. A fleet cannot do with fewer than 2N + 4 requests (one create and one delete per pod, the volume and catalog
reads, at least one list to see the pods ready and one to see them gone), so the least time the limit allows is
(ceil((2N + 4) / quota) - 1) x 60 s: every window but the last spent in full. The target is within 2x of it."""
import argparse
import http.client
import http.server
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
KEY = "rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION"
GPU = "NVIDIA A40"
DATA_CENTER = "EU-RO-1"  # where the default network volume lives


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountingProxy:
    """Forwards every request to the emulator and records (time, method, path, status). Keep-alive, threaded."""

    def __init__(self, upstream_port):
        self.records = []
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                arrived = time.perf_counter()  # when the request reached us, close to when the emulator counts it
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection", "content-length")}
                conn = getattr(self.server.local, "conn", None)
                for attempt in range(2):
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
                        self.server.local.conn = conn
                    try:
                        conn.request(self.command, self.path, body=body, headers=headers)
                        answer = conn.getresponse()
                        data = answer.read()
                        break
                    except (http.client.HTTPException, OSError):
                        conn.close()
                        conn = None
                        self.server.local.conn = None
                        if attempt == 1:
                            raise
                with proxy.lock:
                    proxy.records.append((arrived, self.command, self.path.split("?")[0], answer.status))
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("transfer-encoding", "connection", "content-length", "date", "server"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = forward

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.local = threading.local()
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for_emulator(base, emulator, seconds=30):
    """Returns once the emulator at `base` answers its inspection endpoint; exits if it died or took too long."""
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(base + "/_emulator/state", timeout=5).read()
            return
        except OSError:
            if emulator.poll() is not None or time.time() > deadline:
                raise SystemExit(f"the emulator did not start (exit {emulator.poll()})")
            time.sleep(0.05)


def operation(method, path):
    """The RunPod operation of a REST v2 request, by method and path shape."""
    parts = [p for p in path.split("/") if p][1:]  # drop "v2"
    if parts[:1] == ["pods"]:
        if len(parts) == 1:
            return "createPod" if method == "POST" else "listPods"
        if len(parts) == 2:
            return {"GET": "getPod", "DELETE": "deletePod"}.get(method, method + " pod")
        return "pod " + parts[2]
    if parts[:1] == ["network-volumes"]:
        return "getNetworkVolume" if len(parts) == 2 else "listNetworkVolumes"
    if parts[:2] == ["catalog", "gpus"]:
        return "listGpuTypes"
    return method + " " + path


def fixed_windows(times, window=60.0):
    """Request counts per fixed window, opened the way the emulator opens them: by the first request after the last
    window ended."""
    counts, start = [], None
    for t in times:
        if start is None or t - start >= window:
            start = t
            counts.append(0)
        counts[-1] += 1
    return counts


def busiest_window(times, window=60.0):
    """The most requests inside any `window` seconds (sliding), an upper bound on any fixed window's count."""
    best, start = 0, 0
    for end in range(len(times)):
        while times[end] - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class Result:
    """The section's Markdown lines and its target verdicts, in bench.py's Section shape."""

    def __init__(self, lines, targets):
        self.lines = lines
        self.targets = targets


def run_fleet(cli, count, rate_limit, concurrency, time_scale, base_env, tmp):
    scenario = os.path.join(tmp, "fleet-scenario.json")
    with open(scenario, "w") as f:
        # Stock for the whole fleet in the volume's data center; everything else is the demo world.
        json.dump({"rateLimitPerMinute": rate_limit, "stock": [{"dataCenterId": DATA_CENTER, "gpuTypeId": GPU, "count": count + 20}]}, f)
    port = free_port()
    emulator = subprocess.Popen([cli, "emulator", "--port", str(port), "--time-scale", str(time_scale), "--scenario", scenario],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def state():
        with urllib.request.urlopen(base + "/_emulator/state", timeout=10) as answer:
            return json.load(answer)

    proxy = None
    try:
        wait_for_emulator(base, emulator)
        proxy = CountingProxy(port)
        env = dict(base_env)
        env.update(RUNPOD_API_BASE_URL=f"http://127.0.0.1:{proxy.port}", RUNPOD_API_KEY=KEY,
                   RUNPOD_LAUNCHER_PROXY_URL=base + "/proxy/{podId}-{port}")
        env.pop("RUNPOD_NETWORK_VOLUME_ID", None)
        script = 'n=$(echo "$RUNPOD_POD_IDS" | tr "," "\\n" | grep -c .); echo "$n"'
        cmd = [cli, "run", "--count", str(count), "--concurrency", str(concurrency), "--gpu", GPU, "--name", "fleetbench",
               "--timeout", "600", "--", "sh", "-c", script]
        print(f"  {' '.join(cmd[:11])} … (rate limit {rate_limit}/min, time scale {time_scale})", file=sys.stderr, flush=True)
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        final = state()
    finally:
        if proxy:
            proxy.stop()
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
    if proc.returncode != 0:
        raise SystemExit(f"the fleet run exited {proc.returncode}:\n{proc.stderr[-4000:]}")
    ready_at = None
    for line in proc.stderr.splitlines():
        match = re.match(r"\[\s*([\d.]+)s\] .*: (\d+)/(\d+) ready", line)
        if match and match.group(2) == match.group(3):
            ready_at = float(match.group(1))
    records = sorted(proxy.records)
    return dict(wall=wall, ready_at=ready_at, stdout=proc.stdout.strip(), stderr=proc.stderr, records=records, state=final,
                start=start)


def fleet_section(cli, count=100, rate_limit=100, concurrency=8, time_scale=0.01, base_env=None, tmp=None):
    own_tmp = tmp is None
    tmp = tmp or tempfile.mkdtemp(prefix="runpod-fleet-")
    base_env = dict(base_env or os.environ)
    base_env.setdefault("XDG_STATE_HOME", os.path.join(tmp, "state"))
    try:
        r = run_fleet(cli, count, rate_limit, concurrency, time_scale, base_env, tmp)
    finally:
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    records, state = r["records"], r["state"]
    by_op = {}
    for _, method, path, status in records:
        op = operation(method, path)
        by_op.setdefault(op, [0, 0])
        by_op[op][0] += 1
        by_op[op][1] += status == 429
    total = len(records)
    limited = sum(1 for rec in records if rec[3] == 429)
    busiest = busiest_window([rec[0] for rec in records])
    windows = fixed_windows([rec[0] for rec in records])
    pods = [p for p in state["pods"] if p["name"].startswith("fleetbench-")]
    alive = [p["id"] for p in state["pods"] if p.get("alive")]
    needed = 2 * count + 4
    floor = (math.ceil(needed / rate_limit) - 1) * 60.0
    floor_made = (math.ceil(total / rate_limit) - 1) * 60.0
    pod_start = 90 * time_scale  # the demo world's 45 s pull + 15 s start + 30 s app start, scaled
    ratio = r["wall"] / floor if floor > 0 else float("inf")  # a fleet that fits one window has no floor to speak of
    ops = ", ".join(f"{op} {n}" + (f" ({k} × 429)" if k else "") for op, (n, k) in sorted(by_op.items(), key=lambda kv: -kv[1][0]))
    lines = [
        f"## Fleet: {count} pods under a rate limit",
        "",
        f"One `runpod-launcher run --count {count} --concurrency {concurrency} -- sh -c …` launches {count} pods from one spec, "
        f"waits until every one is ready (RUNNING, ports, app answering through the proxy), runs the command once (it saw "
        f"{r['stdout']} pod IDs in `RUNPOD_POD_IDS`), and terminates them all, against `runpod-launcher emulator` with a "
        f"limit of {rate_limit} requests per minute per key (a fixed 60 s window, as `RateLimit-Policy` reports it) and pod "
        f"start-up scaled to {pod_start:.1f} s. Every API request went through a counting proxy; leaks are counted by "
        "`GET /_emulator/state`. Floor: a fleet needs at least 2N + 4 requests (a create and a delete per pod, the volume "
        "and catalog reads, one list to see the pods ready and one to see them gone); the limit lets them through no "
        "faster than (ceil(requests / quota) − 1) × 60 s. Rerun with `python3 scripts/benchmarks/fleet.py`.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| pods created / ready / left alive | {len(pods)} / {r['stdout']} / {len(alive)} |",
        f"| total time, launch to last pod confirmed gone | {r['wall']:.1f} s |",
        f"| of which until all {count} were ready | {r['ready_at']:.1f} s |" if r["ready_at"] is not None else "| until all ready | n/a |",
        f"| rate-limit floor for the 2N + 4 = {needed} requests needed | {floor:.0f} s |",
        f"| total time ÷ floor | {ratio:.2f}× |",
        f"| API requests made | {total} ({ops}) |",
        f"| floor for the {total} requests made | {floor_made:.0f} s |",
        f"| 429 answers | {limited} |",
        f"| requests per 60 s window (as the emulator opens them) | {' + '.join(map(str, windows))} (limit {rate_limit} each) |",
        f"| most requests in any 60 s, sliding | {busiest} |",
    ]
    targets = [
        (f"{count}-pod fleet under {rate_limit} req/min within 2× the rate-limit floor", f"{r['wall']:.1f} s vs {floor:.0f} s ({ratio:.2f}×)",
         ratio <= 2.0),
        (f"{count}-pod fleet leaves zero pods alive", f"{len(alive)} alive", len(alive) == 0 and len(pods) == count),
    ]
    return Result(lines, targets)


def _bench_section(ctx):
    quick = getattr(ctx, "quick", False)
    # --quick: 20 pods under 30 requests a minute still needs two windows (44 requests).
    return fleet_section(ctx.cli, count=20 if quick else 100, rate_limit=30 if quick else 100, base_env=ctx.base_env, tmp=ctx.tmp)


SECTION = (50, "fleet: 100 pods under a rate limit", _bench_section)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100, help="pods in the fleet (default 100)")
    parser.add_argument("--rate-limit", type=int, default=100, help="requests per minute per key on the emulator (default 100)")
    parser.add_argument("--concurrency", type=int, default=8, help="creates in flight at once (default 8)")
    parser.add_argument("--time-scale", type=float, default=0.01, help="emulator time scale (default 0.01: a 90 s start takes 0.9 s)")
    parser.add_argument("--cli", default=os.environ.get("BENCH_CLI", os.path.join(ROOT, ".build-release", "release", "runpod-launcher")))
    parser.add_argument("--output", default=os.path.join(ROOT, "scripts", "benchmarks", "FLEET_RESULT.md"),
                        help="where to write the Markdown section (default scripts/benchmarks/FLEET_RESULT.md)")
    args = parser.parse_args()
    if not os.access(args.cli, os.X_OK):
        print(f"{args.cli} is absent: building it (release) …", file=sys.stderr, flush=True)
        subprocess.run([os.path.join(ROOT, "scripts", "build-release")], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    result = fleet_section(args.cli, args.count, args.rate_limit, args.concurrency, args.time_scale)
    text = "\n".join(result.lines) + "\n\n" + "\n".join(
        f"- target: {name}: {value} — {'met' if ok else 'NOT met'}" for name, value, ok in result.targets) + "\n"
    with open(args.output, "w") as f:
        f.write(text)
    print(text)
    if not all(ok for _, _, ok in result.targets):
        sys.exit(1)


if __name__ == "__main__":
    main()
