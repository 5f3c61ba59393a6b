"""Relinking the objects scripts/build-release compiled, with other link flags: shared by
scripts/release/order-file.py (profiles a binary whose code all lies in .text) and scripts/benchmarks/memory_steps.py
(measures each link choice)."""
import json
import os

# What scripts/build-release adds to SwiftPM's link, as `-Xlinker VALUE` pairs (matched by prefix) or driver flags.
LAYOUT_FLAGS = ("--no-export-dynamic", "--no-warn-symbol-ordering", "--symbol-ordering-file=", "--script=", "-Map=",
                "--no-demangle", "-z", "pack-relative-relocs")
DRIVER_FLAGS = ("-use-ld=lld",)


def link_command(binary):
    """The swiftc link invocation SwiftPM used for `binary`, from the llbuild manifest of its scratch directory."""
    build_dir = os.path.dirname(os.path.realpath(binary))  # …/<scratch>/<triple>/release
    manifest = os.path.join(os.path.dirname(os.path.dirname(build_dir)), "release.yaml")
    with open(manifest) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith('"C.runpod-launcher-') and line.strip().endswith('-release.exe":'):
            for candidate in lines[i:i + 20]:
                if candidate.strip().startswith("args:"):
                    return json.loads(candidate.strip()[len("args:"):])
    raise LookupError(f"no link command for runpod-launcher in {manifest}")


def without(args, linker_prefixes=LAYOUT_FLAGS, driver_flags=DRIVER_FLAGS):
    """`args` minus the `-Xlinker X` pairs whose X starts with one of `linker_prefixes`, the `driver_flags`, and -v."""
    kept, i = [], 0
    while i < len(args):
        if args[i] == "-Xlinker" and i + 1 < len(args) and args[i + 1].startswith(linker_prefixes):
            i += 2
        elif args[i] in driver_flags or args[i] == "-v":
            i += 1
        else:
            kept.append(args[i])
            i += 1
    return kept


def with_output(args, path):
    """`args` writing the binary to `path` instead."""
    out = list(args)
    out[out.index("-o") + 1] = path
    return out
