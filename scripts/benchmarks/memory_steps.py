"""Peak memory, step by step: what each release-link choice of scripts/build-release buys, measured.

A bench.py section (SECTION below). It relinks the objects scripts/build-release compiled (every function in its own
section) several ways, with the link command SwiftPM wrote into the build manifest, and runs `runpod-launcher gpus`
against the same emulator with each, alternating, reporting the median peak RSS (wait4's ru_maxrss):

  1. SwiftPM's own release link of the same objects (gold, PIE, --export-dynamic, no order)
  2. + lld with the start-up layout (scripts/release/runpod-launcher.order and .ld)
  3. + --no-export-dynamic
  4. + -z pack-relative-relocs (glibc ≥ 2.36; this is the shipping build)
  5. step 4 without the start-up layout: what the recorded layout itself buys

Run on its own (`python3 scripts/benchmarks/memory_steps.py --runs 7`) it prints the table and writes nothing.

Each variant is a copy in a scratch directory; the shipping binary is not touched. If the manifest cannot be read
(another SwiftPM layout), the section says so and measures only the shipping binary.
"""
import os
import subprocess
import sys

from bench import RSS_METHOD, Emulator, Section, alternate, median, peak_rss

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
ORDER = os.path.join(ROOT, "scripts", "release", "runpod-launcher.order")
SCRIPT = os.path.join(ROOT, "scripts", "release", "runpod-launcher.ld")
# A hand-recorded comparison (routes this section cannot relink, such as a binary without the emulator), carried into
# BENCHMARKS.md after the measured table so that a full `scripts/bench` keeps it.
ROUTES = os.path.join(HERE, "MEMORY_ROUTES.md")
sys.path.insert(0, os.path.join(ROOT, "scripts", "release"))

import relink  # noqa: E402


def variants(ctx):
    """(label, path) of each build to measure."""
    shipping = ("4. + compact relocations (`-z pack-relative-relocs`): **the shipping build**", ctx.cli)
    try:
        base = relink.link_command(ctx.cli)
    except (OSError, LookupError, ValueError) as error:
        return [shipping], f"Only the shipping build: {error}."
    plain = relink.without(base)
    layout = ["-Xlinker", f"--symbol-ordering-file={ORDER}", "-Xlinker", "--no-warn-symbol-ordering",
              "-Xlinker", f"--script={SCRIPT}"]
    steps = [
        ("1. SwiftPM's release link (static Swift runtime, gold, PIE, `--export-dynamic`)", []),
        ("2. + lld and the start-up layout (order file and linker script)", ["-use-ld=lld", *layout]),
        ("3. + `--no-export-dynamic`", ["-use-ld=lld", *layout, "-Xlinker", "--no-export-dynamic"]),
    ]
    if "pack-relative-relocs" in base:  # as scripts/build-release linked it, only the layout left out
        steps.append(("5. step 4 without the start-up layout (lld, `--no-export-dynamic`, compact relocations)",
                      ["-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker",
                       "pack-relative-relocs"]))
    out = []
    for k, (label, extra) in enumerate(steps, 1):
        path = os.path.join(ctx.tmp, f"runpod-launcher-step{k}")
        done = subprocess.run(relink.with_output(plain, path) + extra, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            return [shipping], f"Only the shipping build: relinking step {k} failed: {done.stderr[-500:]}"
        out.append((label, path))
    return out[:3] + [shipping] + out[3:], None


def section(ctx, with_record=True):
    runs = ctx.runs(ctx.args.runs, 3)
    builds, note = variants(ctx)
    ways = len(builds)
    builds += list(getattr(ctx.args, "also", []))  # standalone runs: other binaries measured in the same rounds
    rss = {label: [] for label, _ in builds}
    with Emulator(ctx) as emu:
        env = emu.env()
        for label, path in builds:
            peak_rss([path, "gpus"], env)
        paths = dict(builds)
        for order in alternate([label for label, _ in builds], runs):
            for label in order:
                rss[label].append(peak_rss([paths[label], "gpus"], env))
    first = median(rss[builds[0][0]])
    lines = [
        "## Peak memory, step by step",
        "",
        f"`runpod-launcher gpus` (as in section 1), the same compiled objects linked {ways} ways; {runs} alternating "
        f"runs each after a warm-up run; median peak RSS (`ru_maxrss`, through {RSS_METHOD}). Produced by `scripts/benchmarks/memory_steps.py`, "
        "which relinks with the command SwiftPM wrote into its build manifest.",
        "",
        "| build | peak RSS median | min | max | vs step 1 |",
        "|---|---|---|---|---|",
    ]
    for label, _ in builds:
        values = rss[label]
        lines.append(f"| {label} | {median(values):.1f} MiB | {min(values):.1f} MiB | {max(values):.1f} MiB | "
                     f"{median(values) / first:.2f} |")
    if note:
        lines += ["", note]
    return Section(lines + (recorded_routes() if with_record else []))


def recorded_routes(path=ROUTES):
    """The lines of MEMORY_ROUTES.md, after a blank line; none if it is absent."""
    try:
        with open(path) as f:
            return [""] + f.read().rstrip("\n").split("\n")
    except FileNotFoundError:
        return []


SECTION = (15, "peak memory, step by step", section)


if __name__ == "__main__":
    import argparse
    import shutil
    import types

    from bench import Context

    parser = argparse.ArgumentParser(description="Peak memory of `runpod-launcher gpus` per link choice (prints only).")
    parser.add_argument("--runs", type=int, default=7, help="alternating runs per build (default 7)")
    parser.add_argument("--cli", default=os.path.join(ROOT, ".build-release", "release", "runpod-launcher"))
    parser.add_argument("--also", action="append", default=[], metavar="LABEL=PATH",
                        help="another runpod-launcher binary to measure in the same rounds (repeatable)")
    options = parser.parse_args()
    also = [tuple(item.split("=", 1)) for item in options.also]
    ctx = Context(types.SimpleNamespace(quick=False, cli=os.path.realpath(options.cli), runs=options.runs, also=also))
    try:
        print("\n".join(section(ctx, with_record=False).lines))
    finally:
        shutil.rmtree(ctx.tmp, ignore_errors=True)
