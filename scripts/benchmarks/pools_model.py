#!/usr/bin/env python3
"""Pools: a model of the pool's policy on the pools_trace.py trace, to explore settings in seconds instead of hours.

Not a measurement: a discrete-time model of what `serve` does, in emulated seconds. Every `--tick` the reconciler
sends the creates of pending launches (a pod exists `--create-latency` later and answers `--cold` after that),
probes starting pods (a pod whose app answers is seen as ready at the first tick after) and terminates pods marked at
the previous tick (billed until then); then the autoscaler decides desired = waiting + leased (clamped to max),
applies the scale-down gate (`--delay`; or, with `--window`, the highest desired count of the last `--delay`
seconds), removes pods not ready first (newest first) then idle ready ones, and ends pods idle for `--idle`. Lease
requests take the oldest free ready pod, in arrival order (or in random order with `--no-fifo`); with `--at-once` a
request that finds no free pod adds pods at once instead of at the next tick (what serve does since the FIFO
change). A lease is held for the job plus up to one 5 s history poll.

Calibrated against pools_trace.py on the release build (medians of seeds 14–16, tick 20 s + serve's own time ≈ 21 s):
measured 2.09× the oracle / p95 202 s before the change (model with --no-fifo, no --at-once: 2.09× / 178 s), and
2.14× / 117 s after it (model: 2.11× / 114 s) at delay 100; at delay 0, measured 1.90× / 116 s (model 1.89× / 114 s).

`python3 scripts/benchmarks/pools_model.py` prints a sweep of the scale-down delay; `--help` for the knobs."""
import argparse
import heapq
import itertools
import math
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pools_trace import clairvoyant_pod_seconds, make_trace  # noqa: E402


def simulate(seed, tick=21.0, cold=90.0, delay=100.0, idle=300.0, max_pods=12, fifo=True, window=False, at_once=True,
             create_latency=2.0, poll=5.0):
    jobs = sorted(make_trace(seed)[0])
    rng = random.Random(seed * 7 + 1)
    pods = {}  # id → {asked, created, app, ready, busy, idle_since, ended}
    ids = itertools.count()
    waiting, waits, history, releases, pending = [], [], [], [], []
    lower_since, next_job, t = None, 0, 0.0
    end_time = jobs[-1][0] + 600

    def live():
        return [p for p, d in pods.items() if d["ended"] is None]

    def add(count, at):
        for _ in range(count):
            p = next(ids)
            pods[p] = dict(asked=at, created=None, app=None, ready=None, busy=None, idle_since=None, ended=None)
            pending.append(p)

    def serve(now):
        free = sorted((p for p in live() if pods[p]["ready"] is not None and pods[p]["busy"] is None), key=lambda p: pods[p]["ready"])
        order = list(range(len(waiting)))
        if not fifo:
            rng.shuffle(order)
        taken = set()
        for i in order:
            if not free:
                break
            p = free.pop(0)
            arrival, seconds = waiting[i]
            hold = seconds + rng.uniform(0, poll) + 0.5
            pods[p].update(busy=now + hold, idle_since=None)
            heapq.heappush(releases, (now + hold, p))
            waits.append(now - arrival)
            taken.add(i)
        waiting[:] = [w for i, w in enumerate(waiting) if i not in taken]

    while t < end_time or waiting:
        until = t + tick
        while True:  # arrivals and releases between ticks
            arrival = jobs[next_job][0] if next_job < len(jobs) else math.inf
            release = releases[0][0] if releases else math.inf
            if min(arrival, release) > until:
                break
            if arrival <= release:
                waiting.append(jobs[next_job])
                next_job += 1
                serve(arrival)
                if at_once and waiting:
                    busy = sum(1 for p in live() if pods[p]["busy"] is not None)
                    add(max(0, min(max_pods, len(waiting) + busy) - len(live())), arrival)
            else:
                when, p = heapq.heappop(releases)
                pods[p].update(busy=None, idle_since=when)
                serve(when)
        t = until
        # The reconciler: creates, readiness, terminations.
        for p in pending:
            if pods[p]["ended"] is None:
                pods[p].update(created=t + create_latency, app=t + create_latency + cold)
        pending.clear()
        for d in pods.values():
            if d["ended"] is None and d["ready"] is None and d["app"] is not None and d["app"] <= t:
                d.update(ready=t, idle_since=t)
        serve(t)
        # The autoscaler.
        active = live()
        desired = min(max_pods, len(waiting) + sum(1 for p in active if pods[p]["busy"] is not None))
        history.append((t, desired))
        current = len(active)
        if desired >= current:
            lower_since, target = None, desired
        elif window:
            target = current if t - history[0][0] < delay else max(d for at, d in history if t - at <= delay)
        else:
            lower_since = t if lower_since is None else lower_since
            target = desired if t - lower_since >= delay else current
        if target > current:
            add(target - current, t)
        excess = current - target
        not_ready = sorted((p for p in active if pods[p]["ready"] is None), key=lambda p: -pods[p]["asked"])
        idle_ready = [p for p in active if pods[p]["ready"] is not None and pods[p]["busy"] is None]
        for p in (not_ready + idle_ready)[:max(0, excess)]:
            pods[p]["ended"] = t + tick  # terminated at the next reconcile
        count = len(live())
        for p in sorted(live(), key=lambda p: pods[p]["asked"]):
            d = pods[p]
            if count > desired and d["ready"] is not None and d["busy"] is None and t - d["idle_since"] >= idle:
                d["ended"], count = t + tick, count - 1
    created = [d for d in pods.values() if d["created"] is not None]
    pod_seconds = sum(max(0.0, (d["ended"] or end_time) - d["created"]) for d in created)
    job_seconds = sum(s for _, s in jobs)
    waits.sort()
    return dict(pods=len(created), pod_seconds=pod_seconds, ratio=pod_seconds / job_seconds,
                budget=1.3 * job_seconds + 5 * cold, clairvoyant=clairvoyant_pod_seconds(jobs, cold)[0] / job_seconds,
                p50=waits[len(waits) // 2], p95=waits[max(0, math.ceil(0.95 * len(waits)) - 1)])


def medians(seeds, **knobs):
    runs = [simulate(seed, **knobs) for seed in seeds]
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]} | {
        "of_budget": statistics.median(r["pod_seconds"] / r["budget"] for r in runs)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[14, 15, 16])
    p.add_argument("--tick", type=float, default=21.0, help="seconds between ticks, serve's own time included (default 21)")
    p.add_argument("--cold", type=float, default=90.0)
    p.add_argument("--idle", type=float, default=300.0)
    p.add_argument("--delays", type=float, nargs="+", default=[0, 20, 50, 100, 200, 300])
    args = p.parse_args()
    print(f"| policy | scale-down delay | pods created | pod-seconds ÷ oracle | ÷ budget | wait p50 | wait p95 (budget {args.cold + 2 * 20:.0f} s) |")
    print("|---|---|---|---|---|---|---|")
    policies = [("before: any waiter, next tick", dict(fifo=False, at_once=False)), ("FIFO, at once (serve now)", {}),
                ("FIFO, at once, window (max desired over the delay)", dict(window=True))]
    for name, knobs in policies:
        for delay in args.delays:
            m = medians(args.seeds, tick=args.tick, cold=args.cold, idle=args.idle, delay=delay, **knobs)
            print(f"| {name} | {delay:.0f} s | {m['pods']:.0f} | {m['ratio']:.2f}× | {m['of_budget']:.2f} | {m['p50']:.0f} s | {m['p95']:.0f} s |")
    m = medians(args.seeds)
    print(f"\nClairvoyant lower bound (no wait): {m['clairvoyant']:.2f}× the oracle.")


if __name__ == "__main__":
    main()
