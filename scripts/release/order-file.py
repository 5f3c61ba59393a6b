#!/usr/bin/env python3
"""Regenerates scripts/release/runpod-launcher.order, the symbol order the release link uses (scripts/build-release).

Why: the release binary is one static file of ~30 MB of code, and the kernel maps it into a process in large chunks
(fault-around, large page-cache folios), so a command that executes ~1.5 MB of scattered functions ends up with
~18 MB of the binary resident. Putting every function a CLI command executes next to each other at the front of
.text (lld's --symbol-ordering-file) lets the same command touch a few MB instead (BENCHMARKS.md, section 1).

How: runs a broad set of CLI commands (help, catalog, volumes, launch/wait/status/list/logs/terminate, run, doctor,
fleets, error paths) under valgrind's callgrind against a local emulator, and keeps every executed function that is
defined in the binary's .text. Callgrind's call counts decide the order: hottest first. Names that later disappear
from the code are harmless (the link skips them); new code that is missing from the file just lands after the
ordered block, so regenerate it after large changes:

    scripts/build-release && python3 scripts/release/order-file.py

Needs valgrind (apt-get install valgrind) and binutils' nm and strip; nothing else.
"""
import argparse
import collections
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "scripts", "release", "runpod-launcher.order")
KEY = "rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION"
VOLUME = "rp-vol-comfyui01"
GPU = "NVIDIA GeForce RTX 4090"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scenarios(pod):
    """The commands to profile: every everyday path, including the failing ones. `pod` is a launched pod's ID."""
    return [
        ["--help"],
        ["launch", "--help"],
        ["gpus"],
        ["gpus", "--json"],
        ["volumes"],
        ["launch", "--gpu", GPU, "--json", "--no-wait"],
        ["wait", pod],
        ["status", pod],
        ["status", pod, "--json"],
        ["list"],
        ["list", "--mine"],
        ["logs", pod, "--tail", "5"],
        ["terminate", pod],
        ["launch", "--gpu", GPU],
        ["run", "--gpu", GPU, "--", "true"],
        ["run", "--gpu", GPU, "--count", "2", "--", "true"],
        ["doctor"],
        ["terminate", "--all-mine", "--include-owned"],
        ["launch", "--gpu", "NVIDIA NoSuchGPU"],
        ["launch", "--cloud", "nowhere"],
        ["status", "no-such-pod"],
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build-release", "release", "runpod-launcher"))
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("order-file.py needs valgrind: apt-get install valgrind")
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no binary at {binary}: run scripts/build-release first")

    work = tempfile.mkdtemp(prefix="order-file-")
    # valgrind 3.19 cannot read the DWARF 5 of the release binary; the symbol table is all it needs
    profiled = os.path.join(work, "runpod-launcher")
    subprocess.run(["strip", "--strip-debug", "-o", profiled, binary], check=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    scenario = os.path.join(work, "scenario.json")
    with open(scenario, "w") as f:
        json.dump({"timings": {"imagePullSeconds": 0, "containerStartSeconds": 0, "appStartSeconds": 0}}, f)
    emulator = subprocess.Popen([binary, "emulator", "--port", str(port), "--scenario", scenario],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = dict(os.environ, RUNPOD_API_KEY=KEY, RUNPOD_API_BASE_URL=base, RUNPOD_NETWORK_VOLUME_ID=VOLUME,
               RUNPOD_LAUNCHER_PROXY_URL=base + "/proxy/{podId}-{port}",
               XDG_STATE_HOME=os.path.join(work, "state"), XDG_CONFIG_HOME=os.path.join(work, "config"),
               HOME=work)
    counts = collections.Counter()
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/_emulator/state", timeout=2).close()
                break
            except OSError:
                time.sleep(0.05)
        launched = subprocess.run([binary, "launch", "--gpu", GPU, "--json", "--no-wait"], env=env,
                                  capture_output=True, text=True, check=True)
        pod = json.loads(launched.stdout)["id"]
        # The same commands with the key from ~/.runpod/config.toml, as RunPod's own tools write it, for a subset.
        config_home = os.path.join(work, "home-with-config")
        os.makedirs(os.path.join(config_home, ".runpod"))
        with open(os.path.join(config_home, ".runpod", "config.toml"), "w") as f:
            f.write(f'apikey = "{KEY}"\napiUrl = "{base}"\n')
        from_config = {k: v for k, v in env.items() if k != "RUNPOD_API_KEY"}
        from_config["HOME"] = config_home
        runs = [(env, command) for command in scenarios(pod)]
        runs += [(from_config, command) for command in (["gpus"], ["list"], ["run", "--gpu", GPU, "--", "true"])]
        for i, (run_env, command) in enumerate(runs):
            out = os.path.join(work, f"callgrind.{i}")
            subprocess.run(["valgrind", "--tool=callgrind", "--demangle=no", f"--callgrind-out-file={out}",
                            profiled, *command], env=run_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=300)
            added = read_callgrind(out, counts)
            source = "config.toml" if run_env is from_config else "env"
            print(f"{added:5d} functions  key from {source:11}  runpod-launcher {' '.join(command)}", file=sys.stderr)
    finally:
        emulator.terminate()
        emulator.wait()

    defined = text_symbols(binary)
    ordered = [name for name, _ in counts.most_common() if name in defined]
    with open(args.out, "w") as f:
        f.write("\n".join(ordered) + "\n")
    size = sum(defined[name] for name in ordered)
    print(f"wrote {len(ordered)} symbols ({size / 2**20:.1f} MiB of code) to {os.path.relpath(args.out, ROOT)}",
          file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)


def read_callgrind(path, counts):
    """Adds each function's call count (calls= lines, or 1 for a function only seen executing) to `counts`."""
    names = {}
    seen = set()
    current_callee = None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
            if m:
                ident = m.group(2)
                if m.group(3):
                    names[ident] = m.group(3).split("'")[0]
                name = names.get(ident)
                if m.group(1):
                    current_callee = name
                elif name:
                    seen.add(name)
                continue
            if line.startswith("calls=") and current_callee:
                counts[current_callee] += int(line[6:].split()[0])
                seen.add(current_callee)
    for name in seen:
        counts[name] += 1
    return len(seen)


def text_symbols(binary):
    """Function symbols defined in the binary, with their sizes."""
    listing = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, check=True)
    sizes = {}
    for line in listing.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW":
            sizes[parts[3]] = int(parts[1], 16)
    return sizes


if __name__ == "__main__":
    main()
