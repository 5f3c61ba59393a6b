"""Shared by the fidelity checks: an emulator to talk to (an already-running one from EMULATOR_URL, or a
`runpod-launcher emulator` subprocess on a free loopback port) and a tiny case runner that prints one line
per case and closes with `N passed, N failed`."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

ROOT = subprocess.run(
    ["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--show-toplevel"],
    check=True, capture_output=True, text=True).stdout.strip()
DEV_KEY = "rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION"
VOLUME_ID = "rp-vol-comfyui01"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """The emulator under test. Use as a context manager: it starts (or adopts) one and stops what it started."""

    def __init__(self):
        self.base = os.environ.get("EMULATOR_URL", "").rstrip("/")
        self.api_key = os.environ.get("EMULATOR_API_KEY", DEV_KEY)
        self.proc = None
        self.log = None

    def __enter__(self):
        if self.base:
            self._wait_until_up(deadline=time.time() + 10)
            print(f"using the emulator at {self.base}", file=sys.stderr)
            return self
        binary = os.environ.get("RUNPOD_LAUNCHER_BIN", os.path.join(ROOT, ".build", "debug", "runpod-launcher"))
        if not os.access(binary, os.X_OK):
            print(f"{binary} is missing: building it (swift build --product runpod-launcher)", file=sys.stderr)
            subprocess.run(["swift", "build", "--product", "runpod-launcher"], cwd=ROOT, check=True)
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        args = [binary, "emulator", "--port", str(port)]
        # Scenario delays are real seconds by default; a fast clock keeps the check short. Only pass the flag
        # when this build of the CLI knows it, so the check still runs (slower) against an older one.
        probe = subprocess.run([binary, "emulator", "--help"], capture_output=True, text=True)
        helptext = probe.stdout + probe.stderr
        scale = os.environ.get("EMULATOR_TIME_SCALE", "0.02")
        if "--time-scale" in helptext:
            args += ["--time-scale", scale]
        args += os.environ.get("EMULATOR_ARGS", "").split()
        self.log = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            self._wait_until_up(deadline=time.time() + 60)
        except Exception:
            self.__exit__(None, None, None)
            raise
        print(f"started `{' '.join(args[1:])}` at {self.base}", file=sys.stderr)
        return self

    def _wait_until_up(self, deadline):
        last = None
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise SystemExit(f"the emulator exited with {self.proc.returncode}:\n{self._log_tail()}")
            try:
                self.state()
                return
            except (OSError, ValueError) as error:
                last = error
                time.sleep(0.1)
        raise SystemExit(f"the emulator at {self.base} did not answer /_emulator/state: {last}\n{self._log_tail()}")

    def _log_tail(self):
        if self.log is None:
            return ""
        with open(self.log.name, errors="replace") as f:
            return f.read()[-3000:]

    def __exit__(self, *exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log is not None:
            self.log.close()
            os.unlink(self.log.name)
        return False

    def state(self):
        """GET /_emulator/state (no auth): every pod, volume and the call counters."""
        with urllib.request.urlopen(self.base + "/_emulator/state", timeout=5) as answer:
            return json.load(answer)

    def set_faults(self, rules):
        """POST /_emulator/faults with a JSON array of fault rules (an empty array clears them)."""
        request = urllib.request.Request(
            self.base + "/_emulator/faults", data=json.dumps(rules).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status


class Cases:
    """Runs named checks, printing `PASS name` / `FAIL name: why` for each and a closing count."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, check):
        try:
            check()
        except Exception as error:  # noqa: BLE001 -- every failure is a failed case, reported and counted
            self.failed += 1
            detail = str(error).strip().replace("\n", "\n    ") or type(error).__name__
            print(f"FAIL {name}: {type(error).__name__}: {detail}", flush=True)
            if os.environ.get("FIDELITY_TRACE"):
                traceback.print_exc()
        else:
            self.passed += 1
            print(f"PASS {name}", flush=True)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed or not self.passed else 0


def expect(condition, message):
    """Raises AssertionError(message) unless condition holds (asserts vanish under python -O; this doesn't)."""
    if not condition:
        raise AssertionError(message)


def poll(what, probe, timeout=60.0, interval=0.05):
    """Calls probe() until it returns something truthy; returns it, or raises after timeout seconds."""
    deadline = time.time() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
