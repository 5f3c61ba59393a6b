"""Validates the emulator's REST v2 answers against RunPod's published OpenAPI document, for every documented
operation, each on its success path and at least one error path. Each case checks the exact status code and then
lets openapi-core validate the response (content type, headers, body schema) against the operation in the document.
The run ends with a coverage case that fails when an operation was not exercised both ways. Run through
scripts/check-openapi.sh."""
import json
import os
import re
import sys
import time

import requests
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, VOLUME_ID, Cases, Emulator, expect, poll  # noqa: E402
from openapi_routes import route_cases  # noqa: E402

SPEC_PATH = os.environ.get(
    "RUNPOD_OPENAPI_PATH", os.path.join(ROOT, "..", "shared", "reference", "runpod-rest-v2-openapi.json"))
IMAGE = "bilunsun/comfyuiprod:pod-test-0"


class Checker:
    """Sends requests to the emulator and validates each answer against the operation the document defines."""

    def __init__(self, emulator):
        self.emulator = emulator
        self.base = emulator.base
        with open(SPEC_PATH) as f:
            document = json.load(f)
        # The document names RunPod's production server; match requests against the emulator instead.
        document["servers"] = [{"url": self.base}]
        # openapi-core only knows plain application/json; RunPod's errors are problem+json and logs are SSE text.
        config = Config(extra_media_type_deserializers={
            "application/problem+json": json.loads,
            "text/event-stream": lambda data: data.decode() if isinstance(data, bytes) else data,
        })
        self.openapi = OpenAPI.from_dict(document, config=config)
        self.session = requests.Session()
        # (method, path template) -> statuses seen, for the coverage case.
        self.operations = {}
        for template, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)) + "$")
            for method in item:
                if method in ("get", "put", "post", "patch", "delete"):
                    self.operations[(method.upper(), template)] = (pattern, set())

    def _record(self, method, path, status):
        # A literal template wins over one with a parameter (/v2/registries/delegations vs /v2/registries/{id}).
        matches = [(template, seen) for (m, template), (pattern, seen) in self.operations.items()
                   if m == method and pattern.match(path)]
        matches.sort(key=lambda match: match[0].count("{"))
        if matches:
            matches[0][1].add(status)

    def call(self, method, path, expect_status, *, query=None, body=None, auth=True, schema_valid_request=True,
             headers=None, stream_seconds=None):
        """Sends one request, checks the status, validates request (when meant to be valid) and response.

        Returns (status, headers, parsed JSON body or text or None)."""
        sent_headers = {"Accept": "application/json"}
        if auth:
            sent_headers["Authorization"] = f"Bearer {self.emulator.api_key}"
        sent_headers.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent_headers["Content-Type"] = "application/json"
        url = self.base + path
        if stream_seconds is None:
            answer = self.session.request(method, url, params=query, data=data, headers=sent_headers, timeout=30)
            raw = answer.content
        else:
            # An SSE stream may stay open: read what arrives within the window, then hang up.
            answer = self.session.request(method, url, params=query, data=data, headers=sent_headers, timeout=30,
                                          stream=True)
            raw = b""
            deadline = time.time() + stream_seconds
            try:
                for chunk in answer.iter_content(chunk_size=None):
                    raw += chunk
                    if time.time() > deadline or raw.count(b"\n\n") >= 3:
                        break
            finally:
                answer.close()
        content_type = answer.headers.get("Content-Type", "")
        self._record(method, path, answer.status_code)
        expect(answer.status_code == expect_status,
               f"{method} {path}: status {answer.status_code}, expected {expect_status}; body: {raw[:300]!r}")

        request = MockRequest(self.base, method, path, args=query or {}, headers=sent_headers, data=data,
                              content_type="application/json" if data is not None else "")
        if schema_valid_request:
            errors = list(self.openapi.iter_request_errors(request))
            expect(not errors, f"{method} {path}: the request itself breaks the document: {_errors(errors)}")
        response = MockResponse(raw, status_code=answer.status_code, headers=dict(answer.headers),
                                content_type=content_type.split(";")[0].strip())
        errors = list(self.openapi.iter_response_errors(request, response))
        expect(not errors, f"{method} {path} -> {answer.status_code} ({content_type}): {_errors(errors)}")

        if not raw:
            return answer.status_code, answer.headers, None
        if "json" in content_type:
            return answer.status_code, answer.headers, json.loads(raw)
        return answer.status_code, answer.headers, raw.decode()

    def create_body(self, gpu_id, name="fidelity-openapi", **overrides):
        body = {
            "name": name,
            "image": IMAGE,
            "gpu": {"id": gpu_id, "count": 1},
            "cloud": "SECURE",
            "dataCenterIds": [self.volume_dc],
            "mounts": {"network": [{"volumeId": VOLUME_ID, "path": "/workspace"}]},
            "ports": ["8188/http", "22/tcp"],
            "env": {"FIDELITY": "openapi"},
        }
        body.update(overrides)
        return body


def _errors(errors):
    """Flattens openapi-core's nested validation errors into one readable line each."""
    lines = []
    for error in errors:
        lines.append(f"{type(error).__name__}: {error}")
        for cause in getattr(error, "schema_errors", None) or []:
            lines.append(f"  at {'/'.join(map(str, cause.absolute_path))}: {cause.message[:300]}")
        inner = error.__cause__
        for cause in getattr(inner, "schema_errors", None) or []:
            lines.append(f"  at {'/'.join(map(str, cause.absolute_path))}: {cause.message[:300]}")
    return "\n".join(lines)


def main():
    cases = Cases()
    with Emulator() as emulator:
        c = Checker(emulator)
        pod_ids = []
        state = {}

        def list_volumes():
            _, _, body = c.call("GET", "/v2/network-volumes", 200)
            ids = [v["id"] for v in body["networkVolumes"]]
            expect(VOLUME_ID in ids, f"{VOLUME_ID} is not listed: {ids}")

        def get_volume():
            _, _, body = c.call("GET", f"/v2/network-volumes/{VOLUME_ID}", 200)
            expect(body["id"] == VOLUME_ID, f"wrong volume {body['id']}")
            c.volume_dc = body["dataCenter"]

        def get_volume_404():
            c.call("GET", "/v2/network-volumes/no-such-volume", 404)

        def list_gpus_plain():
            _, _, body = c.call("GET", "/v2/catalog/gpus", 200)
            expect(body["gpus"], "the catalog is empty")
            expect(all("availability" not in g for g in body["gpus"]), "availability without include=AVAILABILITY")

        def list_gpus_availability():
            query = {"include": "AVAILABILITY", "product": "POD"}
            _, _, body = c.call("GET", "/v2/catalog/gpus", 200, query=query)
            expect(all("availability" in g for g in body["gpus"]), "include=AVAILABILITY did not add availability")
            # Pick a GPU in stock in the volume's data center, and a (GPU, data center) pair with none, for the
            # create cases. dataCenters lists only where the GPU is offered; absent means none.
            _, _, dcs = c.call("GET", "/v2/catalog/datacenters", 200)
            all_dcs = [dc["id"] for dc in dcs["dataCenters"]]
            stocked, empty = None, None
            for gpu in body["gpus"]:
                levels = {dc["id"]: dc["availability"] for dc in gpu.get("dataCenters", [])}
                if levels.get(c.volume_dc, "NONE") != "NONE" and stocked is None:
                    stocked = gpu["id"]
                dry = [dc for dc in all_dcs if levels.get(dc, "NONE") == "NONE"]
                if gpu["secure"] and dry and empty is None:
                    empty = (gpu["id"], dry[0])
            expect(stocked, f"no GPU in stock in {c.volume_dc}")
            expect(empty, "every GPU is in stock everywhere: cannot exercise no capacity")
            state["stocked"], state["empty"] = stocked, empty

        def list_datacenters():
            _, _, body = c.call("GET", "/v2/catalog/datacenters", 200, query={"include": "GPU_AVAILABILITY"})
            dcs = {dc["id"]: dc for dc in body["dataCenters"]}
            expect(c.volume_dc in dcs, f"{c.volume_dc} missing from the data centers")
            expect("gpuAvailability" in dcs[c.volume_dc], "include=GPU_AVAILABILITY did not add gpuAvailability")

        def create_201():
            _, _, body = c.call("POST", "/v2/pods", 201, body=c.create_body(state["stocked"]))
            expect(body["status"] == "PROVISIONING", f"a new pod is {body['status']}, not PROVISIONING")
            expect(body["runtime"] is None, "a provisioning pod has a runtime")
            expect(body["dataCenterId"] == c.volume_dc, f"placed in {body['dataCenterId']}, not {c.volume_dc}")
            pod_ids.append(body["id"])
            state["pod"] = body["id"]

        def get_provisioning():
            _, _, body = c.call("GET", f"/v2/pods/{state['pod']}", 200)
            expect(body["runtime"] is None or body["status"] == "RUNNING",
                   f"runtime present while {body['status']}")

        def get_running():
            def running():
                _, _, body = c.call("GET", f"/v2/pods/{state['pod']}", 200)
                return body if body["status"] == "RUNNING" and body["runtime"] else None
            body = poll("the pod to be RUNNING with a runtime", running, timeout=120, interval=0.1)
            ports = body["runtime"].get("ports") or []
            expect(any(p.get("private") == 8188 for p in ports), f"runtime ports lack 8188: {ports}")

        def list_pods():
            _, _, body = c.call("GET", "/v2/pods", 200)
            expect(state["pod"] in [p["id"] for p in body["pods"]], "the new pod is not listed")

        def get_404():
            c.call("GET", "/v2/pods/no-such-pod", 404)

        def logs():
            _, headers, text = c.call("GET", f"/v2/pods/{state['pod']}/logs", 200, query={"tail": "5"},
                                      headers={"Accept": "text/event-stream"}, stream_seconds=2.0)
            events = [e for e in (text or "").split("\n\n") if e.strip()]
            expect(events, "the log stream sent no event")
            for event in events:
                fields = dict(line.split(": ", 1) for line in event.splitlines() if ": " in line)
                expect("id" in fields and "data" in fields, f"an event lacks id/data: {event!r}")
                payload = json.loads(fields["data"])
                expect({"source", "line", "ts"} <= payload.keys(), f"data lacks source/line/ts: {payload}")

        def action_409():
            c.call("POST", f"/v2/pods/{state['pod']}/action", 409, body={"action": "start"})

        def action_200():
            _, _, body = c.call("POST", f"/v2/pods/{state['pod']}/action", 200, body={"action": "stop"})
            expect(body["status"] in ("EXITED", "RUNNING"), f"stop answered {body['status']}")

        def action_204():
            status, _, body = c.call("POST", f"/v2/pods/{state['pod']}/action", 204, body={"action": "terminate"})
            expect(body is None, "terminate answered with a body")

        def create_400_capacity():
            gpu_id, dc = state["empty"]
            body = c.create_body(gpu_id, name="no-capacity", dataCenterIds=[dc])
            del body["mounts"]
            _, _, answer = c.call("POST", "/v2/pods", 400, body=body)
            expect("no longer any instances available" in answer["detail"], f"detail: {answer['detail']}")

        def create_400_rule():
            body = c.create_body(state["stocked"], name="two-mounts")
            body["mounts"] = {"network": [{"volumeId": VOLUME_ID, "path": "/workspace"}],
                              "persistent": {"size": 20, "path": "/data"}}
            c.call("POST", "/v2/pods", 400, body=body)

        def create_422():
            body = c.create_body(state["stocked"], name="unknown-field")
            body["mounts"] = {"network": [{"volumeId": VOLUME_ID}]}  # path is required
            _, _, answer = c.call("POST", "/v2/pods", 422, body=body, schema_valid_request=False)
            expect(answer.get("errors"), f"a 422 without an errors list: {answer}")

        def create_401():
            c.call("POST", "/v2/pods", 401, body=c.create_body(state["stocked"]), auth=False,
                   schema_valid_request=False)

        def get_401_bad_key():
            c.call("GET", "/v2/pods", 401, headers={"Authorization": "Bearer rpa_NOT_A_REAL_KEY"},
                   schema_valid_request=False)

        def delete_204():
            _, _, body = c.call("POST", "/v2/pods", 201, body=c.create_body(state["stocked"], name="to-delete"))
            pod_ids.append(body["id"])
            status, _, answer = c.call("DELETE", f"/v2/pods/{body['id']}", 204)
            expect(answer is None, "delete answered with a body")

        def delete_404():
            c.call("DELETE", "/v2/pods/no-such-pod", 404)

        def rate_limited_429():
            emulator.set_faults([{"operation": "listPods", "kind": "rateLimited", "retryAfterSeconds": 3, "times": 1}])
            try:
                _, headers, _ = c.call("GET", "/v2/pods", 429)
                expect(headers.get("Retry-After") == "3", f"Retry-After: {headers.get('Retry-After')!r}")
                c.call("GET", "/v2/pods", 200)  # the fault applied once only
            finally:
                emulator.set_faults([])

        for name, check in [
            ("listNetworkVolumes 200", list_volumes),
            ("getNetworkVolume 200", get_volume),
            ("getNetworkVolume 404", get_volume_404),
            ("listGpuTypes 200 (plain)", list_gpus_plain),
            ("listGpuTypes 200 (include=AVAILABILITY&product=POD)", list_gpus_availability),
            ("listDataCenters 200 (include=GPU_AVAILABILITY)", list_datacenters),
            ("createPod 201", create_201),
            ("getPod 200 (PROVISIONING, runtime null)", get_provisioning),
            ("getPod 200 (RUNNING with runtime ports)", get_running),
            ("listPods 200", list_pods),
            ("getPod 404", get_404),
            ("getPodLogs 200 (text/event-stream)", logs),
            ("podAction 409 (start while RUNNING)", action_409),
            ("podAction 200 (stop)", action_200),
            ("podAction 204 (terminate)", action_204),
            ("createPod 400 (no capacity)", create_400_capacity),
            ("createPod 400 (network and persistent mounts)", create_400_rule),
            ("createPod 422 (mount without path)", create_422),
            ("createPod 401 (no bearer token)", create_401),
            ("listPods 401 (unknown key)", get_401_bad_key),
            ("deletePod 204", delete_204),
            ("deletePod 404", delete_404),
            ("listPods 429 (fault rule, Retry-After)", rate_limited_429),
        ]:
            if not hasattr(c, "volume_dc") and name.startswith(("listGpu", "listData", "create")):
                c.volume_dc = "EU-RO-1"
            cases.run(name, check)

        for name, check in route_cases(c, emulator, state, pod_ids):
            cases.run(name, check)

        # The emulator runs no serverless workers, so a worker's log can only be 404.
        no_success_path = {("GET", "/v2/serverless/{id}/workers/{workerId}/logs")}

        def coverage():
            missing = []
            for (method, template), (_, seen) in sorted(c.operations.items()):
                ok = any(200 <= s < 300 for s in seen) or (method, template) in no_success_path
                failed = any(s >= 400 for s in seen)
                if not (ok and failed):
                    missing.append(f"{method} {template} (saw {sorted(seen)})")
            expect(not missing, "operations not exercised on both a success and an error path:\n" + "\n".join(missing))

        cases.run(f"coverage: all {len(c.operations)} documented operations, success and error paths", coverage)

        # Leave nothing alive in an emulator we may not own.
        for pod_id in pod_ids:
            c.session.delete(f"{c.base}/v2/pods/{pod_id}",
                             headers={"Authorization": f"Bearer {emulator.api_key}"}, timeout=10)
    return cases.finish()


if __name__ == "__main__":
    sys.exit(main())
