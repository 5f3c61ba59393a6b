"""Three `runpod-launcher serve` replicas on one PostgreSQL database, against the emulator, driven as a backend on
several machines would drive them: launches and leases through different replicas, `kill -9` of the leader in the
middle of creates, and then: a new leader within the target, every launch reconciled, 0 pods leaked, 0 duplicated,
leases kept, and an SSE stream resumed on another replica with nothing lost or repeated. Every answer is validated
against the service's OpenAPI document.

PostgreSQL: the server at $RUNPOD_LAUNCHER_TEST_POSTGRES (a fresh database is made on it), or a throw-away cluster
this script starts with scripts/postgres/cluster.sh and removes."""
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fidelity"))

from common import Cases, Emulator, expect  # noqa: E402
from contract import ServiceAPI  # noqa: E402
from harness import (LAUNCH_ID_ENV, EventStream, Service, big_stock_scenario, pod_env, pods_by_launch_id,  # noqa: E402
                     stamped_pods)

import requests  # noqa: E402

PROFILES_TOML = """\
[comfyui]
image = "bilunsun/comfyuiprod:pod-test-0"
gpus = ["NVIDIA GeForce RTX 4090", "NVIDIA RTX A6000"]
ports = ["8188/http"]
timeout = 180
"""
FAILOVER_TARGET_SECONDS = 10.0
CLUSTER = os.path.join(ROOT, "scripts", "postgres", "cluster.sh")


class PostgresServer:
    """A fresh database for this run: on the configured server, or on a throw-away cluster started here."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.cluster = None

    def __enter__(self):
        server = os.environ.get("RUNPOD_LAUNCHER_TEST_POSTGRES")
        if not server:
            self.cluster = os.path.join(self.workdir, "pg")
            server = subprocess.run(["bash", CLUSTER, "start", self.cluster], check=True, capture_output=True,
                                    text=True).stdout.strip()
        name = "rpl_replicas_" + secrets.token_hex(6)
        subprocess.run(["psql", server, "-q", "-c", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        base, _, query = server.partition("?")
        self.url = base.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")
        return self

    def __exit__(self, *exc):
        if self.cluster:
            subprocess.run(["bash", CLUSTER, "stop", self.cluster], capture_output=True)


class Replicas:
    """Three serve processes on one database, each with its own directories and port, sharing the token."""

    def __init__(self, emulator, workdir, database_url, token, tick, count=3):
        self.emulator = emulator
        self.token = token
        self.services = []
        for index in range(count):
            directory = os.path.join(workdir, f"replica-{index}")
            os.makedirs(directory, exist_ok=True)
            service = Service(emulator, directory, token=token, tick=tick, database_url=database_url)
            os.makedirs(service.config_dir, exist_ok=True)
            with open(os.path.join(service.config_dir, "profiles.toml"), "w") as f:
                f.write(PROFILES_TOML)
            self.services.append(service)
        self.apis = []

    def start(self):
        for service in self.services:
            service.start()
        self.apis = [ServiceAPI(s.base, self.token) for s in self.services]

    def restart(self, index):
        self.services[index].start()
        self.apis[index].rebase(self.services[index].base)

    def health(self, index):
        service = self.services[index]
        if not service.alive():
            return None
        try:
            answer = requests.get(service.base + "/healthz", timeout=2)
            return answer.json() if answer.status_code == 200 else None
        except requests.RequestException:
            return None

    def leaders(self):
        return [i for i in range(len(self.services)) if (self.health(i) or {}).get("leader") is True]

    def wait_for_one_leader(self, timeout, excluding=()):
        deadline = time.time() + timeout
        while time.time() < deadline:
            leaders = [i for i in self.leaders() if i not in excluding]
            if len(leaders) == 1:
                return leaders[0]
            time.sleep(0.05)
        return None

    def stop(self):
        for service in self.services:
            service.stop()


class Check:
    def __init__(self, emulator, replicas):
        self.emulator = emulator
        self.replicas = replicas
        self.launches = []  # ids of every launch made through any replica
        self.leases = []  # (lease id, replica index it was taken through)
        self.failover_seconds = None

    def api(self, index):
        return self.replicas.apis[index]

    def live_api(self, excluding=()):
        for index, service in enumerate(self.replicas.services):
            if service.alive() and index not in excluding:
                return index, self.api(index)
        raise AssertionError("no replica is running")

    def wait_all(self, ids, states, timeout, through=None):
        """Waits until every launch in `ids` is in one of `states`, read through a live replica."""
        deadline = time.time() + timeout
        seen = {}
        while time.time() < deadline:
            _, api = through or self.live_api()
            seen = {i: api.get(i).json["state"] for i in ids}
            if all(state in states for state in seen.values()):
                return seen
            time.sleep(0.2)
        raise AssertionError(f"not all launches reached {states} within {timeout} s: {seen}")


def case_one_leader(c):
    leader = c.replicas.wait_for_one_leader(30)
    expect(leader is not None, f"no single leader among the replicas: {[c.replicas.health(i) for i in range(3)]}")
    time.sleep(1.5)
    expect(c.replicas.leaders() == [leader], f"leadership moved or doubled without a failure: {c.replicas.leaders()}")
    for index in range(3):
        health = c.replicas.health(index)
        expect(health and health["status"] == "ok", f"replica {index} /healthz: {health}")
        metrics = requests.get(c.replicas.services[index].base + "/metrics", timeout=5).text
        want = "1" if index == leader else "0"
        expect(f"runpod_launcher_leader {want}" in metrics, f"replica {index}'s /metrics does not say leader {want}")


def case_launches_through_every_replica(c):
    ids = []
    for n in range(6):
        body = {"profile": "comfyui", "name": f"replicas-{n}", "timeoutSeconds": 180}
        ids.append(c.api(n % 3).create(body).json["id"])
    c.launches += ids
    # Read back through a replica other than the one that took it: the database is the truth for all of them.
    c.wait_all(ids, ("ready",), 120)
    for n, launch_id in enumerate(ids):
        seen = c.api((n + 1) % 3).get(launch_id).json
        expect(seen["podId"] and seen["urls"], f"launch {launch_id} is ready without a pod or URLs: {seen}")
    by_launch = pods_by_launch_id(c.emulator.state(), alive_only=False)
    for launch_id in ids:
        expect(len(by_launch.get(launch_id, [])) == 1, f"launch {launch_id} has pods {by_launch.get(launch_id)}")


def case_leases_through_every_replica(c):
    c.api(0).call("PUT", "/v1/pools/comfy", (200, 201), body={"profile": "comfyui", "max": 3, "idleTimeoutSeconds": 600})
    # A lease asked through a follower on an empty pool: its wait is demand the leader sees, and it scales from zero.
    leader = c.replicas.leaders()[0]
    follower = (leader + 1) % 3
    lease = c.api(follower).call("POST", "/v1/pools/comfy/leases", 201, body={"ttlSeconds": 600, "waitSeconds": 120},
                                 timeout=150).json
    c.leases.append((lease["id"], follower))
    other = (follower + 1) % 3
    second = c.api(other).call("POST", "/v1/pools/comfy/leases", 201, body={"ttlSeconds": 600, "waitSeconds": 120},
                               timeout=150).json
    c.leases.append((second["id"], other))
    expect(lease["launchId"] != second["launchId"], "two leases on one pod with perPodConcurrency 1")
    pool = c.api(leader).call("GET", "/v1/pools/comfy", 200).json
    expect(pool["leases"] == 2, f"the pool shows {pool['leases']} leases, expected 2")


def case_kill_the_leader_mid_work(c):
    leader = c.replicas.wait_for_one_leader(10)
    expect(leader is not None, "no leader before the kill")
    survivor = (leader + 1) % 3
    stream_replica = (leader + 2) % 3
    api = c.api(survivor)
    # An SSE stream on the replica about to die, to resume on another one.
    headers = c.api(leader).headers(True, {"Accept": "text/event-stream"})
    response = requests.get(c.replicas.services[leader].base + "/v1/events", headers=headers, stream=True, timeout=(5, 60))
    expect(response.status_code == 200, f"GET /v1/events on the leader: {response.status_code}")
    stream = EventStream(response)
    ids = [api.create({"profile": "comfyui", "name": f"mid-{n}", "timeoutSeconds": 180}).json["id"] for n in range(5)]
    c.launches += ids
    # Kill while creates are in flight: as soon as one is past pending.
    deadline = time.time() + 30
    while time.time() < deadline:
        states = [api.get(i).json["state"] for i in ids]
        if any(s in ("creating", "starting") for s in states):
            break
        time.sleep(0.02)
    killed_at = c.replicas.services[leader].kill9()
    new_leader = c.replicas.wait_for_one_leader(30, excluding=(leader,))
    c.failover_seconds = time.time() - killed_at
    expect(new_leader is not None, "no replica became leader after the kill")
    print(f"    new leader: replica {new_leader} after {c.failover_seconds:.2f} s (states at the kill: {states})",
          file=sys.stderr)
    expect(c.failover_seconds <= FAILOVER_TARGET_SECONDS,
           f"a new leader after {c.failover_seconds:.1f} s (target {FAILOVER_TARGET_SECONDS:g} s)")

    # Every launch reconciled by the new leader (a create caught unsent waits out the 60 s create-settle time).
    c.wait_all(ids, ("ready",), 150, through=(survivor, api))
    alive = pods_by_launch_id(c.emulator.state())
    ever = pods_by_launch_id(c.emulator.state(), alive_only=False)
    for launch_id in c.launches:
        expect(len(ever.get(launch_id, [])) == 1, f"launch {launch_id} had pods {ever.get(launch_id)}: duplicated")
    live = {launch["id"] for launch in api.all_launches() if launch["state"] not in ("terminated", "failed")}
    leaked = [pod["id"] for pod in stamped_pods(c.emulator.state()) if pod_launch(pod) not in live]
    expect(not leaked, f"pods with this service's stamp and no live launch: {leaked}")
    expect(set(alive) <= live, "a live pod belongs to no live launch")

    # Leases kept: each renews through a replica other than the one that granted it.
    for lease_id, granted_by in c.leases:
        renewer = next(i for i in range(3) if i != granted_by and c.replicas.services[i].alive())
        c.api(renewer).call("POST", f"/v1/leases/{lease_id}/renew", 200, body={"ttlSeconds": 600})

    # The stream on the dead replica ended; resume on another with its last ID: nothing lost, nothing repeated.
    stream.wait_for(lambda events: False, 0.5)
    got = [int(e[0]) for e in stream.events]
    expect(got, "the stream on the leader saw no event before the kill")
    resumed_headers = dict(headers, **{"Last-Event-ID": str(got[-1])})
    answer = requests.get(c.replicas.services[stream_replica].base + "/v1/events", headers=resumed_headers, stream=True,
                          timeout=(5, 60))
    expect(answer.status_code == 200, f"resume on replica {stream_replica}: {answer.status_code}")
    resumed = EventStream(answer)
    everything = requests.get(c.replicas.services[survivor].base + "/v1/events",
                              headers=dict(headers, **{"Last-Event-ID": "0"}), stream=True, timeout=(5, 60))
    full = EventStream(everything)
    expect(full.wait_for(lambda events: any(e[2].get("id") == ids[-1] and e[2]["state"] == "ready" for e in events), 20),
           "the full replay does not reach the last launch ready")
    newest = max(int(e[0]) for e in full.events)
    expect(resumed.wait_for(lambda events: any(int(e[0]) >= newest for e in events), 20),
           f"the resumed stream never reached event {newest}")
    resumed.close()
    full.close()
    all_ids = [int(e[0]) for e in full.events]
    expect(all_ids == sorted(set(all_ids)), "event ids are not strictly increasing on replay")
    joined = got + [int(e[0]) for e in resumed.events if int(e[0]) <= newest]
    expect(joined == [i for i in all_ids if i >= got[0]],
           f"the stream before the kill + the resumed one != the events kept: {len(joined)} vs {len(all_ids)}")
    c.replicas.restart(leader)


def case_delete_everything(c):
    _, api = c.live_api()
    # The pool drains: a pod whose lease is held is never ended, so the workers give theirs back first.
    for lease_id, _ in c.leases:
        api.call("DELETE", f"/v1/leases/{lease_id}", 204)
    api.call("DELETE", "/v1/pools/comfy", (200, 202))
    for launch_id in c.launches:
        api.delete(launch_id)
    c.wait_all(c.launches, ("terminated", "failed"), 90)
    deadline = time.time() + 60
    while time.time() < deadline and (stamped_pods(c.emulator.state()) or pool_exists(api)):
        time.sleep(0.3)
    left = [pod["id"] for pod in stamped_pods(c.emulator.state())]
    expect(not left, f"pods left after everything was deleted: {left}")


def case_secrets(c):
    for index, service in enumerate(c.replicas.services):
        output = service.output()
        for secret, what in ((c.replicas.token, "the service token"), (c.emulator.api_key, "the RunPod API key")):
            expect(secret not in output, f"{what} is in replica {index}'s output")


def pool_exists(api):
    return any(p["name"] == "comfy" for p in api.call("GET", "/v1/pools", 200).json["pools"])


def pod_launch(pod):
    return pod_env(pod).get(LAUNCH_ID_ENV)


def main():
    workdir = tempfile.mkdtemp(prefix="check-replicas-")
    scenario = big_stock_scenario(os.path.join(workdir, "scenario.json"))
    os.environ["EMULATOR_ARGS"] = (os.environ.get("EMULATOR_ARGS", "") + f" --scenario {scenario}").strip()
    cases = Cases()
    started = time.perf_counter()
    replicas = None
    try:
        with PostgresServer(workdir) as database, Emulator() as emulator:
            token = "svc_" + secrets.token_urlsafe(32)
            replicas = Replicas(emulator, workdir, database.url, token, tick=float(os.environ.get("SERVICE_TICK", "1")))
            replicas.start()
            c = Check(emulator, replicas)
            cases.run("exactly one of three replicas leads (healthz, metrics); the others follow", lambda: case_one_leader(c))
            cases.run("launches posted through every replica: each ready with one pod, read back through another",
                      lambda: case_launches_through_every_replica(c))
            cases.run("leases through followers: a wait on an empty pool scales it from zero", lambda: case_leases_through_every_replica(c))
            cases.run(f"kill -9 of the leader mid-create: new leader within {FAILOVER_TARGET_SECONDS:g} s, every launch ready, "
                      "0 leaked, 0 duplicated, leases kept, SSE resumed on another replica without a gap",
                      lambda: case_kill_the_leader_mid_work(c))
            cases.run("delete everything through one replica: every pod gone", lambda: case_delete_everything(c))
            replicas.stop()
            cases.run("secrets: the token and the API key in no replica's output", lambda: case_secrets(c))
            if c.failover_seconds is not None:
                print(f"failover: {c.failover_seconds:.2f} s from kill -9 to a new leader", file=sys.stderr)
    finally:
        if replicas:
            replicas.stop()
            if cases.failed:
                for index, service in enumerate(replicas.services):
                    print(f"--- replica {index} output ({service.output_path}):\n{service.tail(3000)}", file=sys.stderr)
        if not cases.failed:
            shutil.rmtree(workdir, ignore_errors=True)
    verdict = "PASS" if not cases.failed and cases.passed else "FAIL"
    print(f"check-replicas: {verdict} ({cases.passed} passed, {cases.failed} failed, {time.perf_counter() - started:.0f} s)")
    return cases.finish()


if __name__ == "__main__":
    sys.exit(main())
