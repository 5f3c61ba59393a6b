#!/usr/bin/env python3
"""Regenerates the start-up layout of the release binary: scripts/release/runpod-launcher.order (symbols, for lld's
--symbol-ordering-file) and scripts/release/runpod-launcher.ld (the few hot functions that have no symbol).

Why: the release binary is one static file with ~30 MB of code, and the kernel maps code into a process 64 KiB at a
time around each page it touches (fault-around), so a command that executes ~2 MB of functions scattered over the
file ends up with ~20 MB of it resident. Laid out next to each other at the front of the code, the same functions
cost a few MB (BENCHMARKS.md, "Peak memory, step by step").

How: relinks the objects of the last scripts/build-release without the linker script (valgrind only knows code in
.text; the script's section would be invisible to it) and with a link map, runs a broad set of CLI commands (help,
catalog, volumes, launch/wait/status/list/logs/terminate, run, fleets, doctor, error paths; key from the environment,
a bare shell, and ~/.runpod/config.toml) under valgrind's callgrind against a local emulator, maps every executed
instruction to the input section holding it, and lists each hot section by a symbol only it defines; a section
without such a symbol (compiler-private `.L…` helpers, names shared by many files) goes into the linker script by
file and section name.
Names that later disappear are harmless (the link skips them); code added after the last run just
lands behind the packed block and costs some memory, so regenerate after large changes:

    scripts/build-release && python3 scripts/release/order-file.py && scripts/build-release

(scripts/release/regenerate-layout does exactly that and shows what moved.)

Needs valgrind (apt-get install valgrind) and binutils' strip; nothing else.
"""
import argparse
import bisect
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import relink  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts", "benchmarks"))
from bench import GPU, KEY, VOLUME, free_port  # noqa: E402  (the emulator's key and world, shared with the benchmarks)

ORDER = os.path.join(ROOT, "scripts", "release", "runpod-launcher.order")
SCRIPT = os.path.join(ROOT, "scripts", "release", "runpod-launcher.ld")
def runs(pod, env, bare, from_config):
    """(environment, arguments) of every profiled command. `pod` is a launched pod's ID; `bare` has only the key and
    the API address (no volume, no proxy override, no XDG directories), as a first-time user's shell would."""
    everyday = [
        ["--help"], ["launch", "--help"], ["gpus"], ["gpus", "--json"], ["volumes"],
        ["launch", "--gpu", GPU, "--json", "--no-wait"], ["wait", pod], ["status", pod], ["status", pod, "--json"],
        ["list"], ["list", "--mine"], ["logs", pod, "--tail", "5"], ["terminate", pod],
        ["launch", "--gpu", GPU], ["run", "--gpu", GPU, "--", "true"],
        ["run", "--gpu", GPU, "--count", "2", "--", "true"], ["doctor"],
        ["terminate", "--all-mine", "--include-owned"],
        ["launch", "--gpu", "NVIDIA NoSuchGPU"], ["launch", "--cloud", "nowhere"], ["status", "no-such-pod"],
    ]
    out = [(env, command) for command in everyday]
    out += [(bare, command) for command in (["--help"], ["gpus"], ["volumes"], ["list"], ["status", pod], ["doctor"],
                                            ["launch", "--gpu", GPU, "--no-wait"])]
    out += [(from_config, command) for command in (["gpus"], ["list"], ["run", "--gpu", GPU, "--", "true"])]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build-release", "release", "runpod-launcher"))
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("order-file.py needs valgrind: apt-get install valgrind")
    binary = os.path.realpath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no binary at {binary}: run scripts/build-release first")

    work = tempfile.mkdtemp(prefix="order-file-")
    profiled = os.path.join(work, "runpod-launcher")
    link_map = profiled + ".map"
    command = relink.with_output(relink.without(relink.link_command(binary), ("--script=", "-Map="), ()), profiled)
    subprocess.run(command + ["-Xlinker", f"-Map={link_map}", "-Xlinker", "--no-demangle"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sections = read_map(link_map)
    # valgrind 3.19 cannot read the DWARF 5 of the release binary; addresses are all it needs
    subprocess.run(["strip", "--strip-debug", profiled], check=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    scenario = os.path.join(work, "scenario.json")
    with open(scenario, "w") as f:
        json.dump({"timings": {"imagePullSeconds": 0, "containerStartSeconds": 0, "appStartSeconds": 0}}, f)
    emulator = subprocess.Popen([binary, "emulator", "--port", str(port), "--scenario", scenario],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "TERM")}
    bare_home = os.path.join(work, "home")
    config_home = os.path.join(work, "home-with-config")
    for home in (bare_home, config_home):
        os.makedirs(os.path.join(home, ".runpod"))
    with open(os.path.join(config_home, ".runpod", "config.toml"), "w") as f:
        f.write(f'apikey = "{KEY}"\napiUrl = "{base}"\n')
    bare = dict(keep, HOME=bare_home, RUNPOD_API_KEY=KEY, RUNPOD_API_BASE_URL=base)
    env = dict(bare, RUNPOD_NETWORK_VOLUME_ID=VOLUME, RUNPOD_LAUNCHER_PROXY_URL=base + "/proxy/{podId}-{port}",
               XDG_STATE_HOME=os.path.join(work, "state"), XDG_CONFIG_HOME=os.path.join(work, "config"))
    from_config = {k: v for k, v in env.items() if k != "RUNPOD_API_KEY"}
    from_config["HOME"] = config_home
    heat = collections.Counter()  # input section index → how many of the profiled runs executed it
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
        for i, (run_env, command) in enumerate(runs(pod, env, bare, from_config)):
            out = os.path.join(work, f"callgrind.{i}")
            subprocess.run(["valgrind", "--tool=callgrind", "--dump-instr=yes", "--compress-pos=no",
                            f"--callgrind-out-file={out}", profiled, *command], env=run_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
            seen = add_heat(out, sections, heat)
            source = "config.toml" if run_env is from_config else "bare shell" if run_env is bare else "env"
            print(f"{seen:5d} sections  {source:11}  runpod-launcher {' '.join(command)}", file=sys.stderr)
        subprocess.run([binary, "terminate", "--all-mine", "--include-owned"], env=env, capture_output=True)
    finally:
        emulator.terminate()
        emulator.wait()
        shutil.rmtree(work, ignore_errors=True)
    write_layout(sections, heat)


def read_map(path):
    """The input sections of the code output sections (.text and the script's .text.startup.unnamed) in an lld -Map
    file: [(address, size, file, section, [symbols])], by address."""
    sections = []
    in_text = False
    with open(path, errors="replace") as f:
        for line in f:
            output = re.match(r"\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+ (\S+)$", line)
            if output:
                in_text = output.group(1).startswith(".text")
                continue
            if not in_text:
                continue
            m = re.match(r"\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ {9}(\S.*):\((\S+)\)$", line)
            if m:
                sections.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4), []))
                continue
            m = re.match(r"\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+ {17}(\S+)$", line)
            if m and sections:
                sections[-1][4].append(m.group(1))
    return sections


def add_heat(callgrind_out, sections, heat):
    """Counts one more run for each input section that executed in this callgrind run; returns how many did."""
    starts = [s[0] for s in sections]
    seen = set()
    with open(callgrind_out, errors="replace") as f:
        for line in f:
            if not line.startswith("0x"):
                continue
            address = int(line.split()[0], 16)
            i = bisect.bisect_right(starts, address) - 1
            if i >= 0 and address < sections[i][0] + sections[i][1]:
                seen.add(i)
    for i in seen:
        heat[i] += 1
    return len(seen)


def plan_layout(sections, heat):
    """(symbols for the order file, input-section lines for the linker script). Code most commands run comes first,
    so each command's share of the packed block stays dense (ordering by name instead cost ~1 MiB on `gpus`); ties
    go by name, so a regeneration's diff shows mostly what came and went. A hot section is named by a symbol only it
    defines (lld moves every section that defines a listed name, so a shared name would drag other files' code
    along); else, if it is one of our objects and its name is plain, by file and section in the script; else by its
    first symbol, shared or not (still better than leaving it behind)."""
    defined = collections.Counter(name for s in sections for name in s[4])
    symbols, script = [], []
    for i, runs in heat.items():
        _, _, file, name, names = sections[i]
        unique = [n for n in names if defined[n] == 1]
        ours = re.search(r"/([^/]+\.build/[^/]+\.o)$", file)
        if unique:
            symbols.append((-runs, unique[0]))
        elif ours and re.fullmatch(r"[.\w]+", name):
            script.append((-runs, f"*/{ours.group(1)}({name})"))
        elif names:
            symbols.append((-runs, names[0]))

    def ordered(entries):
        out, seen = [], set()
        for _, entry in sorted(entries):
            if entry not in seen:
                seen.add(entry)
                out.append(entry)
        return out

    return ordered(symbols), ordered(script)


def write_layout(sections, heat):
    symbols, script = plan_layout(sections, heat)
    with open(ORDER, "w") as f:
        f.write("\n".join(symbols) + "\n")
    with open(SCRIPT, "w") as f:
        f.write("/* Written by scripts/release/order-file.py: hot functions without a symbol of their own, placed\n"
                "   right before .text, whose front holds the functions of runpod-launcher.order. */\n"
                "SECTIONS {\n  .text.startup.unnamed : {\n" + "".join(f"    {line}\n" for line in script) +
                "  }\n} INSERT BEFORE .text;\n")
    hot = sum(sections[i][1] for i in heat)
    print(f"{len(heat)} hot sections ({hot / 2**20:.1f} MiB): {len(symbols)} by symbol in "
          f"{os.path.relpath(ORDER, ROOT)}, {len(script)} by file in {os.path.relpath(SCRIPT, ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
