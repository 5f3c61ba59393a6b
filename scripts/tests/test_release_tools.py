"""Checks of the release-build and benchmark tooling that need no release build: the link-map reader and layout plan
of scripts/release/order-file.py, the flag stripping of scripts/benchmarks/memory_steps.py and its recorded routes, and
the peak-memory measurement of scripts/benchmarks/bench.py. Run by .ci/run: python3 -m unittest discover -s scripts/tests"""
import collections
import importlib.util
import os
import sys
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "benchmarks"))
sys.path.insert(0, os.path.join(ROOT, "scripts", "release"))

import bench  # noqa: E402
import memory_steps  # noqa: E402
import relink  # noqa: E402


def load_order_file():
    spec = importlib.util.spec_from_file_location("order_file", os.path.join(ROOT, "scripts", "release", "order-file.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


order_file = load_order_file()

# An lld -Map excerpt: the script's section, .text with an archive member and two of our objects, then .fini.
MAP = """\
             VMA              LMA     Size Align Out     In      Symbol
          776840           776840       30    16 .text.startup.unnamed
          776840           776840       30    16         /b/release/ArgumentParser.build/Name.swift.o:(.text..Lobjectdestroy.5)
          7768c0           7768c0     1000    64 .text
          7768c0           7768c0      800    16         /opt/swift/lib/libswiftCore.a(Swift.o):(.text)
          7768c0           7768c0       10     1                 $sSS5countSivg
          7768d0           7768d0       10     1                 __swift_destroy_boxed_opaque_existential_1
          7770c0           7770c0      100    16         /b/release/RunPodAPI.build/Client.swift.o:(.text.$s9RunPodAPI6ClientC3getyyF)
          7770c0           7770c0      100     1                 $s9RunPodAPI6ClientC3getyyF
          7771c0           7771c0       40    16         /b/release/RunPodAPI.build/Client.swift.o:(.text.__swift_destroy_boxed_opaque_existential_1)
          7771c0           7771c0       40     1                 __swift_destroy_boxed_opaque_existential_1
          777200           777200        9     4 .fini
          777200           777200        9     4         /lib/crti.o:(.fini)
"""


class LinkMapTests(unittest.TestCase):
    def setUp(self):
        with tempfile.NamedTemporaryFile("w", suffix=".map", delete=False) as f:
            f.write(MAP)
        self.path = f.name
        self.sections = order_file.read_map(self.path)

    def tearDown(self):
        os.unlink(self.path)

    def test_reads_every_code_input_section_with_its_symbols_and_stops_at_the_next_output_section(self):
        self.assertEqual([(hex(a), n, len(s)) for a, _, _, n, s in self.sections], [
            ("0x776840", ".text..Lobjectdestroy.5", 0),
            ("0x7768c0", ".text", 2),
            ("0x7770c0", ".text.$s9RunPodAPI6ClientC3getyyF", 1),
            ("0x7771c0", ".text.__swift_destroy_boxed_opaque_existential_1", 1),
        ])
        self.assertEqual(self.sections[1][2], "/opt/swift/lib/libswiftCore.a(Swift.o)")

    def test_plan_names_each_hot_section_so_that_only_it_moves(self):
        heat = collections.Counter({2: 1, 0: 3, 3: 3, 1: 5})  # runs that executed each section
        symbols, script = order_file.plan_layout(self.sections, heat)
        # code more runs executed first; the shared helper name of our object goes to the script by file, not by name
        self.assertEqual(symbols, ["$sSS5countSivg", "$s9RunPodAPI6ClientC3getyyF"])
        self.assertEqual(script, ["*/ArgumentParser.build/Name.swift.o(.text..Lobjectdestroy.5)",
                                  "*/RunPodAPI.build/Client.swift.o(.text.__swift_destroy_boxed_opaque_existential_1)"])
        # ties go by name
        tied = order_file.plan_layout(self.sections, collections.Counter({2: 2, 1: 2}))[0]
        self.assertEqual(tied, ["$s9RunPodAPI6ClientC3getyyF", "$sSS5countSivg"])

    def test_heat_counts_the_runs_that_executed_each_section(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("fn=(1) x\n0x7770c4 12\n0x7770d0 3\ncalls=1 0x7768c0\n0x7770d8 40\n0x776844 7\n0x999999 5\n")
        heat = collections.Counter()
        try:
            seen = order_file.add_heat(f.name, self.sections, heat)
        finally:
            os.unlink(f.name)
        self.assertEqual(seen, 2)
        self.assertEqual(heat, collections.Counter({2: 1, 0: 1}))


class RelinkTests(unittest.TestCase):
    def test_step_one_links_without_any_layout_flag(self):
        args = ["swiftc", "-o", "out", "-Xlinker", "--gc-sections", "-use-ld=lld", "-Xlinker", "--no-export-dynamic",
                "-Xlinker", "--symbol-ordering-file=/x.order", "-Xlinker", "--no-warn-symbol-ordering",
                "-Xlinker", "--script=/x.ld", "-Xlinker", "-Map=/x.map", "-Xlinker", "--no-demangle",
                "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-g"]
        self.assertEqual(relink.without(args), ["swiftc", "-o", "out", "-Xlinker", "--gc-sections", "-g"])
        # order-file.py profiles a binary without the script only, so that all code lies in .text
        self.assertEqual(relink.without(args, ("--script=", "-Map="), ())[:8],
                         ["swiftc", "-o", "out", "-Xlinker", "--gc-sections", "-use-ld=lld", "-Xlinker",
                          "--no-export-dynamic"])
        self.assertEqual(relink.with_output(["a", "-o", "x", "b"], "y"), ["a", "-o", "y", "b"])


class RecordedRoutesTests(unittest.TestCase):
    def test_the_recorded_routes_follow_the_measured_table_as_their_own_section(self):
        lines = memory_steps.recorded_routes()
        self.assertEqual(lines[0], "")
        self.assertTrue(lines[1].startswith("## "), lines[1])
        self.assertTrue(any(line.startswith("| (a) ") for line in lines))
        self.assertEqual(memory_steps.recorded_routes(os.path.join(ROOT, "no-such-file.md")), [])


class PeakMemoryTests(unittest.TestCase):
    def test_a_small_child_is_not_charged_with_the_harness_memory(self):
        ballast = bytearray(120 * 2**20)
        for i in range(0, len(ballast), 4096):
            ballast[i] = 1
        small = bench.peak_rss(["/bin/true"], os.environ)
        self.assertLess(small, 20, f"/bin/true measured at {small:.1f} MiB while the harness holds 120 MiB")
        del ballast

    def test_the_child_own_peak_is_measured(self):
        code = "b = bytearray(80 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1"
        big = bench.peak_rss([sys.executable, "-c", code], os.environ)
        self.assertGreater(big, 80)

    def test_a_failing_command_stops_the_benchmark(self):
        with self.assertRaises(SystemExit):
            bench.peak_rss(["/bin/false"], os.environ)


if __name__ == "__main__":
    unittest.main()
