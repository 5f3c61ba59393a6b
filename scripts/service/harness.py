"""Shared by scripts/service/check_service.py and scripts/benchmarks/service.py: a `runpod-launcher serve` process
on a free loopback port against an emulator (scripts/fidelity/common.py's `Emulator`), an HTTP client that validates
every answer against the service's OpenAPI document, a Server-Sent Events reader, and the emulator-side views the
crash checks need (the pods that carry this service's stamp)."""
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OPENAPI_PATH = os.path.join(ROOT, "Sources", "PodService", "Resources", "openapi.json")
SERVICE_STAMP = "RUNPOD_LAUNCHER_SERVICE"
LAUNCH_ID_ENV = "RUNPOD_LAUNCHER_LAUNCH_ID"
LISTENING = re.compile(r"listening on (http://\S+)")
LIVE_STATES = ("pending", "creating", "starting", "ready", "terminating")
ENDED_STATES = ("terminated", "failed")


def default_binary():
    return os.environ.get("RUNPOD_LAUNCHER_BIN", os.path.join(ROOT, ".build", "debug", "runpod-launcher"))


def big_stock_scenario(path, balance=1_000_000.0, count=5000):
    """Writes an emulator scenario: the demo world with plenty of every GPU type in EU-RO-1 (where the default
    network volume lives) and a large balance, so fuzzing and many launches never run out of capacity or money."""
    gpus = ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A5000", "NVIDIA RTX A6000", "NVIDIA A100 80GB PCIe", "NVIDIA A40",
            "NVIDIA H100 80GB HBM3", "NVIDIA L40S"]
    stock = [{"dataCenterId": "EU-RO-1", "gpuTypeId": gpu, "cloud": cloud, "count": count}
             for gpu in gpus for cloud in ("SECURE", "COMMUNITY")]
    with open(path, "w") as f:
        json.dump({"stock": stock, "balance": balance}, f)
    return path


class Service:
    """One `runpod-launcher serve` at a time on a fixed database and scratch XDG directories; it can be killed
    (`kill9`), stopped (`sigterm`) and started again on the same database. Everything it writes to stdout and
    stderr, across all its runs, is kept in `output_path` (to check that no secret ever shows up there)."""

    def __init__(self, emulator, workdir, *, token, tick=1.0, binary=None, extra_env=None, database_url=None):
        self.emulator = emulator
        # A database URL shared with other replicas (postgres://…), or None for this service's own SQLite file.
        self.database_url = database_url
        self.workdir = workdir
        self.token = token
        self.tick = tick
        self.binary = binary or default_binary()
        self.database = os.path.join(workdir, "service.sqlite")
        self.output_path = os.path.join(workdir, "serve-output.log")
        self.proc = None
        self.base = None
        self.runs = 0
        env = {k: v for k, v in os.environ.items() if not k.startswith("RUNPOD_")}
        env.update(
            HOME=os.path.join(workdir, "home"),
            XDG_STATE_HOME=os.path.join(workdir, "state"),
            XDG_CONFIG_HOME=os.path.join(workdir, "config"),
            RUNPOD_API_BASE_URL=emulator.base,
            RUNPOD_API_KEY=emulator.api_key,
            RUNPOD_LAUNCHER_PROXY_URL=emulator.base + "/proxy/{podId}-{port}",
            RUNPOD_LAUNCHER_SERVICE_TOKEN=token,
        )
        env.update(extra_env or {})
        for name in ("HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
            os.makedirs(env[name], exist_ok=True)
        self.env = env

    @property
    def config_dir(self):
        return os.path.join(self.env["XDG_CONFIG_HOME"], "runpod-launcher")

    def start(self, *extra_args, timeout=60):
        """Starts serve on a free port and waits for its `listening on URL` line; returns the base URL."""
        if not os.access(self.binary, os.X_OK):
            raise SystemExit(f"{self.binary} is missing: run `swift build` first")
        database = self.database_url or f"sqlite:{self.database}"
        args = [self.binary, "serve", "--host", "127.0.0.1", "--port", "0", "--database", database,
                "--tick", f"{self.tick:g}", *extra_args]
        self.runs += 1
        with open(self.output_path, "a") as log:
            log.write(f"--- run {self.runs}: {' '.join(args[1:])}\n")
        offset = os.path.getsize(self.output_path)
        log = open(self.output_path, "a")
        self.proc = subprocess.Popen(args, env=self.env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.output_path, errors="replace") as f:
                f.seek(offset)
                match = LISTENING.search(f.read())
            if match:
                self.base = match.group(1).rstrip("/.,;")
                return self.base
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited with {self.proc.returncode} before listening:\n{self.tail()}")
            time.sleep(0.02)
        raise AssertionError(f"serve printed no `listening on URL` line within {timeout} s:\n{self.tail()}")

    def tail(self, chars=3000):
        try:
            with open(self.output_path, errors="replace") as f:
                return f.read()[-chars:]
        except OSError:
            return ""

    def output(self):
        with open(self.output_path, errors="replace") as f:
            return f.read()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        """SIGKILL: no cleanup of any kind; returns the time.time() of the kill."""
        killed_at = time.time()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        return killed_at

    def sigterm(self, timeout=30):
        """SIGTERM; returns (seconds until the process exited, its exit code), or (None, None) if it did not exit
        within `timeout` (then it is killed)."""
        started = time.perf_counter()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None, None
        return time.perf_counter() - started, code

    def stop(self):
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def rss_kib(self):
        """Resident set size now (VmRSS), in KiB."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def database_files(self):
        return [p for p in (self.database, self.database + "-wal", self.database + "-shm", self.database + "-journal")
                if os.path.exists(p)]


# ------------------------------------------------------------------------------------------------ emulator views


def pod_env(pod):
    return ((pod.get("createRequest") or {}).get("env")) or pod.get("env") or {}


def stamped_pods(state, alive_only=True):
    """The emulator's pods that carry a service stamp (`RUNPOD_LAUNCHER_SERVICE`), alive ones by default."""
    return [p for p in state["pods"] if SERVICE_STAMP in pod_env(p) and (p.get("alive") or not alive_only)]


def pods_by_launch_id(state, alive_only=True):
    """launch ID -> [pod IDs] over the emulator's pods (alive ones by default)."""
    found = {}
    for pod in state["pods"]:
        launch_id = pod_env(pod).get(LAUNCH_ID_ENV)
        if launch_id and (pod.get("alive") or not alive_only):
            found.setdefault(launch_id, []).append(pod["id"])
    return found


def create_pod_directly(emulator, name, env):
    """Creates a pod through the emulator's REST API (as another tool, or an outside clone, would)."""
    body = {"name": name, "image": "bilunsun/comfyuiprod:pod-test-0", "gpu": {"id": "NVIDIA GeForce RTX 4090", "count": 1},
            "cloud": "SECURE", "ports": ["8188/http"], "env": env}
    answer = requests.post(emulator.base + "/v2/pods", json=body, timeout=10,
                           headers={"Authorization": f"Bearer {emulator.api_key}"})
    if answer.status_code not in (200, 201):
        raise AssertionError(f"creating pod {name} on the emulator: {answer.status_code} {answer.text[:300]}")
    return answer.json()["id"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------------------------------------------------- SSE


class EventStream:
    """Reads `GET /v1/events` in a background thread: every complete event as (id, event name, parsed data), and
    comment lines counted. `close()` hangs up."""

    def __init__(self, response):
        self.response = response
        self.events = []
        self.comments = 0
        self.errors = []
        self.raw = bytearray()
        self.ended = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        buffer = ""
        try:
            for chunk in self.response.iter_content(chunk_size=None):
                if not chunk:
                    continue
                self.raw += chunk
                buffer += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
                while "\n\n" in buffer:
                    block, buffer = buffer.split("\n\n", 1)
                    self._block(block)
        except Exception as error:  # noqa: BLE001 -- a hang-up by close() ends here too
            self.errors.append(error)
        finally:
            with self._cond:
                self.ended = True
                self._cond.notify_all()

    def _block(self, block):
        event_id, name, data = None, "message", []
        only_comments = True
        for line in block.split("\n"):
            if line.startswith(":"):
                self.comments += 1
                continue
            only_comments = False
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "id":
                event_id = value
            elif field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if only_comments or not data:
            return
        text = "\n".join(data)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        with self._cond:
            self.events.append((event_id, name, parsed))
            self._cond.notify_all()

    def wait_for(self, predicate, timeout):
        """Waits until predicate(events) is true; returns whether it became true."""
        deadline = time.time() + timeout
        with self._cond:
            while not predicate(self.events):
                remaining = deadline - time.time()
                if remaining <= 0 or self.ended:
                    return predicate(self.events)
                self._cond.wait(min(remaining, 0.2))
            return True

    def close(self):
        try:
            connection = getattr(self.response.raw, "_connection", None)
            sock = getattr(connection, "sock", None)
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.response.close()
        self._thread.join(timeout=5)
