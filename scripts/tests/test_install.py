"""scripts/install, end to end: it installs into a temporary prefix from the release build, and the installed tool works
as the README says: `--version` names the commit it was built from, `--help` answers, bash loads its completions and
completes a subcommand, `man` finds its page from the PATH, the systemd units verify against it, and `--uninstall`
leaves the prefix exactly as it was.

It builds the shipping binary with scripts/build-release (minutes on a fresh clone), so it runs only when asked:
    RUNPOD_LAUNCHER_INSTALL_TEST=1 python3 -m unittest -v scripts/tests/test_install.py
.ci/run does, as its own step; `python3 -m unittest discover -s scripts/tests` skips it otherwise."""
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INSTALL = os.path.join(ROOT, "scripts", "install")
ENABLED = os.environ.get("RUNPOD_LAUNCHER_INSTALL_TEST") == "1"
SKIP_REASON = "builds the release binary: set RUNPOD_LAUNCHER_INSTALL_TEST=1 (.ci/run does)"
NAME = "runpod-launcher"
# What a login shell has on a machine without the tool: the prefix's bin is put in front of it.
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


def install(*arguments):
    """Runs scripts/install with `arguments`; returns its stdout, failing the test with its output on a non-zero exit."""
    result = subprocess.run([INSTALL, *arguments], cwd=ROOT, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise AssertionError(f"scripts/install {' '.join(arguments)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def tree(prefix):
    """Every file and directory under `prefix`, relative to it (directories with a trailing /)."""
    found = set()
    for directory, subdirectories, files in os.walk(prefix):
        relative = os.path.relpath(directory, prefix)
        found.update(os.path.normpath(os.path.join(relative, d)) + "/" for d in subdirectories)
        found.update(os.path.normpath(os.path.join(relative, f)) for f in files)
    return found


def git(*arguments):
    return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True).stdout.strip()


@unittest.skipUnless(ENABLED, SKIP_REASON)
class InstalledToolTests(unittest.TestCase):
    """One install into an empty prefix, then each thing the README promises about the installed tool."""

    @classmethod
    def setUpClass(cls):
        cls.prefix = tempfile.mkdtemp(prefix="runpod-launcher-install-")
        started = time.monotonic()
        install("--prefix", cls.prefix)
        print(f"\nscripts/install took {time.monotonic() - started:.0f} s", flush=True)
        cls.binary = os.path.join(cls.prefix, "bin", NAME)
        cls.env = {"PATH": os.path.join(cls.prefix, "bin") + ":" + BASE_PATH, "HOME": cls.prefix, "LANG": "C.UTF-8"}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.prefix, ignore_errors=True)

    def run_installed(self, *arguments, **kwargs):
        return subprocess.run(list(arguments), env=self.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=60, **kwargs)

    def path(self, relative):
        return os.path.join(self.prefix, relative)

    def test_the_binary_is_found_on_the_path_and_its_version_names_the_commit_it_was_built_from(self):
        self.assertEqual(shutil.which(NAME, path=self.env["PATH"]), self.binary)
        result = self.run_installed(NAME, "--version")
        self.assertEqual(result.returncode, 0, result.stderr)
        commit = git("rev-parse", "HEAD")
        self.assertRegex(commit, r"^[0-9a-f]{40}$", "the test runs in a git clone")
        modified = subprocess.run(["git", "diff", "--quiet", "HEAD", "--"], cwd=ROOT).returncode != 0
        self.assertRegex(result.stdout.strip(),
                         rf"^\d+\.\d+\.\d+ \(commit {commit[:12]}{', modified' if modified else ''}\)$")

    def test_help_lists_the_commands_and_the_version_option(self):
        result = self.run_installed(NAME, "--help")
        self.assertEqual(result.returncode, 0, result.stderr)
        for word in ("launch", "terminate", "doctor", "--version", "EXIT CODES"):
            self.assertIn(word, result.stdout)

    def test_bash_loads_the_completions_and_completes_a_subcommand(self):
        script = self.path(f"share/bash-completion/completions/{NAME}")
        # Without bash-completion's helpers, as a bare `bash` would: the script registers itself and completes.
        probe = f"""
            source {script} || exit 1
            complete -p {NAME} || exit 1
            function=$(complete -p {NAME} | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')
            COMP_WORDS=({NAME} ter); COMP_CWORD=1; COMP_LINE="{NAME} ter"; COMP_POINT=${{#COMP_LINE}}
            "$function" {NAME} ter {NAME}
            printf 'reply:%s\\n' "${{COMPREPLY[@]}}"
        """
        result = self.run_installed("bash", "--norc", "--noprofile", "-c", probe)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(" -F ", result.stdout)
        self.assertIn("reply:terminate", result.stdout.splitlines(), result.stdout + result.stderr)

    def test_zsh_and_fish_completions_are_where_those_shells_look_and_parse_where_the_shell_exists(self):
        for shell, relative, check in (
            ("zsh", f"share/zsh/site-functions/_{NAME}", ["zsh", "-n"]),
            ("fish", f"share/fish/vendor_completions.d/{NAME}.fish", ["fish", "--no-execute"]),
        ):
            with self.subTest(shell=shell):
                with open(self.path(relative)) as f:
                    self.assertIn(NAME, f.read())
                if shutil.which(shell):
                    result = self.run_installed(*check, self.path(relative))
                    self.assertEqual(result.returncode, 0, result.stderr)

    def test_man_finds_the_page_from_the_path_and_renders_it_without_warnings(self):
        page = self.path(f"share/man/man1/{NAME}.1")
        if not shutil.which("man"):
            # No man-db here: at least the page is mdoc with the sections man would show.
            with open(page) as f:
                text = f.read()
            for macro in (".Dd ", ".Dt ", ".Sh NAME", ".Sh SYNOPSIS"):
                self.assertIn(macro, text)
            self.skipTest("no `man` on this machine (Debian: man-db); checked the page's mdoc structure only")
        located = self.run_installed("man", "-w", NAME)
        self.assertEqual(located.returncode, 0, located.stderr)
        self.assertEqual(os.path.realpath(located.stdout.strip()), os.path.realpath(page))
        rendered = subprocess.run(["man", "--warnings", "-P", "cat", NAME], env={**self.env, "MANWIDTH": "100"},
                                  capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(rendered.returncode, 0, rendered.stderr)
        self.assertEqual(rendered.stderr.strip(), "", "groff warnings")
        for word in ("NAME", "SYNOPSIS", "launch", "terminate"):
            self.assertIn(word, rendered.stdout)

    def test_the_systemd_units_verify_against_the_installed_binary_and_manual(self):
        if not shutil.which("systemd-analyze"):
            self.skipTest("no systemd-analyze on this machine")
        units = tempfile.mkdtemp(prefix="runpod-launcher-units-")
        self.addCleanup(shutil.rmtree, units, True)
        runtime = os.path.join(units, "runtime")
        os.mkdir(runtime, 0o700)
        # The units name the installed binary (/usr/local/bin, ~/.local/bin); here it is under the temporary prefix.
        for unit, installed_as, scope in (
            ("runpod-launcher.service", "/usr/local/bin/runpod-launcher", []),
            ("user/runpod-launcher.service", "%h/.local/bin/runpod-launcher", ["--user"]),
        ):
            with self.subTest(unit=unit):
                with open(os.path.join(ROOT, "contrib", "systemd", unit)) as f:
                    text = f.read()
                self.assertIn(f"ExecStart={installed_as} serve ", text)
                directory = os.path.join(units, os.path.dirname(unit))
                os.makedirs(directory, exist_ok=True)
                copy = os.path.join(directory, os.path.basename(unit))
                with open(copy, "w") as f:
                    f.write(text.replace(f"ExecStart={installed_as} ", f"ExecStart={self.binary} "))
                # verify also runs `man runpod-launcher` for Documentation=, which finds the page from the PATH.
                result = subprocess.run(["systemd-analyze", *scope, "verify", copy],
                                        env={**self.env, "XDG_RUNTIME_DIR": runtime}, capture_output=True, text=True,
                                        stdin=subprocess.DEVNULL, timeout=120)
                self.assertEqual((result.returncode, result.stderr.strip(), result.stdout.strip()), (0, "", ""))

    def test_the_manifest_lists_every_file_the_install_put_under_the_prefix(self):
        with open(self.path(f"share/{NAME}/install-manifest")) as f:
            entries = [line.split(" ", 1) for line in f.read().splitlines() if line and not line.startswith("#")]
        files = {path for kind, path in entries if kind == "file"}
        directories = {path + "/" for kind, path in entries if kind == "dir"}
        self.assertEqual(files | directories, tree(self.prefix))
        self.assertTrue(os.access(self.binary, os.X_OK))


@unittest.skipUnless(ENABLED, SKIP_REASON)
class UninstallTests(unittest.TestCase):
    """--uninstall removes what the install put there, and nothing that was there before it."""

    def setUp(self):
        self.prefix = tempfile.mkdtemp(prefix="runpod-launcher-uninstall-")
        self.addCleanup(shutil.rmtree, self.prefix, True)

    def test_uninstall_after_two_installs_leaves_the_prefix_as_it_was_before_them(self):
        # Someone else's files, in directories the install also uses.
        for relative in ("bin/other-tool", "share/man/man1/other-tool.1", "share/zsh/site-functions/_other-tool"):
            os.makedirs(os.path.dirname(os.path.join(self.prefix, relative)), exist_ok=True)
            with open(os.path.join(self.prefix, relative), "w") as f:
                f.write("not runpod-launcher's\n")
        before = tree(self.prefix)
        install("--prefix", self.prefix)
        install("--prefix", self.prefix)  # a reinstall (an upgrade) keeps track of what the first install created
        self.assertIn(f"bin/{NAME}", tree(self.prefix))
        output = install("--uninstall", "--prefix", self.prefix)
        self.assertEqual(tree(self.prefix), before)
        self.assertIn(f"removed {self.prefix}/bin/{NAME}", output)

    def test_uninstall_without_an_install_changes_nothing_and_says_so(self):
        before = tree(self.prefix)
        result = subprocess.run([INSTALL, "--uninstall", "--prefix", self.prefix], cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(result.returncode, 1)
        self.assertIn("nothing installed", result.stderr)
        self.assertEqual(tree(self.prefix), before)


class InstallerArgumentTests(unittest.TestCase):
    """What needs no build: the installer's arguments."""

    def test_an_unknown_argument_is_a_usage_error(self):
        result = subprocess.run([INSTALL, "--frobnicate"], cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(result.returncode, 64)
        self.assertIn("unknown argument '--frobnicate'", result.stderr)

    def test_help_names_the_prefix_and_uninstall(self):
        result = subprocess.run([INSTALL, "--help"], cwd=ROOT, capture_output=True, text=True)
        self.assertEqual(result.returncode, 0)
        self.assertTrue(re.search(r"--prefix", result.stdout) and "--uninstall" in result.stdout, result.stdout)


if __name__ == "__main__":
    unittest.main()
