"""Drives the emulator's legacy GraphQL API with RunPod's own Python SDK (runpod==1.12.0), unchanged, and checks
it gets the answers RunPod gives: the SDK splices arguments into query text, appends /graphql to
RUNPOD_API_BASE_URL, raises AuthenticationError on HTTP 401 and QueryError on any `errors` member. Also checks
that GraphQL and REST v2 act on one world. Run through scripts/check-python-sdk.sh."""
import os
import sys

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import VOLUME_ID, Cases, Emulator, expect, poll  # noqa: E402

IMAGE = "bilunsun/comfyuiprod:pod-test-0"
NO_CAPACITY = "There are no longer any instances available with the requested specifications. Please refresh and try again."


def main():
    cases = Cases()
    with Emulator() as emulator:
        # The SDK reads the base URL at call time and appends /graphql itself.
        os.environ["RUNPOD_API_BASE_URL"] = emulator.base
        import runpod  # noqa: PLC0415 -- after the environment is set, as a user's script would
        from runpod import error as runpod_error  # noqa: PLC0415

        runpod.api_key = emulator.api_key
        rest = requests.Session()
        rest.headers["Authorization"] = f"Bearer {emulator.api_key}"
        state = {}
        created = []

        def rest_get(path):
            return rest.get(emulator.base + path, timeout=10)

        def volume_data_center():
            answer = rest_get(f"/v2/network-volumes/{VOLUME_ID}")
            expect(answer.status_code == 200, f"GET volume: {answer.status_code}")
            return answer.json()["dataCenter"]

        def get_gpus():
            gpus = runpod.get_gpus()
            expect(isinstance(gpus, list) and gpus, f"get_gpus returned {gpus!r}")
            for gpu in gpus:
                expect(set(gpu) == {"id", "displayName", "memoryInGb"}, f"unexpected fields {sorted(gpu)}")
            # Choose from REST's availability a GPU in stock in the volume's data center, and a (GPU, data
            # center) pair with none (dataCenters lists only where the GPU is offered; absent means none).
            dc = volume_data_center()
            catalog = rest_get("/v2/catalog/gpus?include=AVAILABILITY&product=POD").json()["gpus"]
            all_dcs = [d["id"] for d in rest_get("/v2/catalog/datacenters").json()["dataCenters"]]
            levels = {g["id"]: {d["id"]: d["availability"] for d in g.get("dataCenters", [])} for g in catalog}
            state["stocked"] = next(g["id"] for g in catalog if levels[g["id"]].get(dc, "NONE") != "NONE")
            state["empty"] = next(((g["id"], d) for g in catalog for d in all_dcs
                                   if g["secure"] and levels[g["id"]].get(d, "NONE") == "NONE"), None)
            expect(state["stocked"] in [g["id"] for g in gpus], "the GPU in stock is missing from get_gpus")

        def get_gpu():
            gpu = runpod.get_gpu(state["stocked"])
            expect(gpu["id"] == state["stocked"], f"get_gpu returned {gpu['id']}")
            for field in ("maxGpuCount", "displayName", "manufacturer", "memoryInGb", "cudaCores", "secureCloud",
                          "communityCloud", "securePrice", "communityPrice", "oneMonthPrice", "threeMonthPrice",
                          "oneWeekPrice", "communitySpotPrice", "secureSpotPrice", "lowestPrice"):
                expect(field in gpu, f"get_gpu lacks {field}")
            expect(isinstance(gpu["securePrice"], float) and gpu["securePrice"] > 0, f"securePrice {gpu['securePrice']}")
            lowest = gpu["lowestPrice"]
            expect(set(lowest) == {"minimumBidPrice", "uninterruptablePrice"}, f"lowestPrice {lowest}")

        def get_gpu_unknown():
            try:
                runpod.get_gpu("NVIDIA Imaginary 9000")
            except ValueError as e:
                expect("No GPU found" in str(e), f"unexpected ValueError: {e}")
            else:
                raise AssertionError("an unknown GPU id did not raise ValueError (gpuTypes should be [])")

        def create_pod():
            pod = runpod.create_pod(
                name="fidelity-sdk", image_name=IMAGE, gpu_type_id=state["stocked"], cloud_type="SECURE",
                network_volume_id=VOLUME_ID, volume_mount_path="/workspace", ports="8188/http, 22/tcp",
                env={"FIDELITY": "sdk", "MODE": "check"})
            expect(pod and pod.get("id"), f"create_pod returned {pod!r}")
            created.append(pod["id"])
            state["pod"] = pod["id"]
            expect(pod["imageName"] == IMAGE, f"imageName {pod['imageName']}")
            expect(sorted(pod["env"]) == ["FIDELITY=sdk", "MODE=check"], f"env {pod['env']}")
            expect(pod["machineId"] and pod["machine"]["podHostId"], f"machine {pod['machineId']} {pod['machine']}")

        def create_pod_placed_by_volume():
            # create_pod read myself { networkVolumes } to fill dataCenterId; REST shows where the pod went.
            answer = rest_get(f"/v2/pods/{state['pod']}")
            expect(answer.status_code == 200, f"REST GET of the SDK's pod: {answer.status_code}")
            body = answer.json()
            expect(body["dataCenterId"] == volume_data_center(), f"placed in {body['dataCenterId']}")
            expect(body["mounts"].get("network", [{}])[0].get("volumeId") == VOLUME_ID, f"mounts {body['mounts']}")
            expect(sorted(body["ports"]) == ["22/tcp", "8188/http"], f"ports {body['ports']}")
            expect(body["env"] == {"FIDELITY": "sdk", "MODE": "check"}, f"env {body['env']}")
            calls = emulator.state().get("calls", {})
            expect(calls.get("graphql:myself", 0) >= 1, f"create_pod did not read myself first: {calls}")

        def get_pod_desired_status_trap():
            pod = runpod.get_pod(state["pod"])
            expect(pod["desiredStatus"] == "RUNNING", f"desiredStatus {pod['desiredStatus']}")
            expect(pod["runtime"] is None, f"runtime is already {pod['runtime']} (want null until the container is up)")
            expect(pod["volumeMountPath"] == "/workspace", f"volumeMountPath {pod['volumeMountPath']}")
            expect(pod["ports"] == "8188/http,22/tcp", f"ports {pod['ports']!r}")
            expect(pod["machine"]["gpuDisplayName"], f"machine {pod['machine']}")

        def get_pod_running():
            pod = poll("runtime ports", lambda: (lambda p: p if p["runtime"] else None)(runpod.get_pod(state["pod"])),
                       timeout=120, interval=0.1)
            ports = {(p["privatePort"], p["type"]) for p in pod["runtime"]["ports"]}
            expect((8188, "http") in ports and (22, "tcp") in ports, f"runtime ports {pod['runtime']['ports']}")
            expect(pod["uptimeSeconds"] >= 0 and pod["costPerHr"] > 0, f"uptime/cost {pod['uptimeSeconds']}")

        def get_pods():
            pods = runpod.get_pods()
            expect(state["pod"] in [p["id"] for p in pods], "get_pods does not list the new pod")

        def stop_pod():
            pod = runpod.stop_pod(state["pod"])
            expect(pod == {"id": state["pod"], "desiredStatus": "EXITED"}, f"stop_pod returned {pod}")
            after = runpod.get_pod(state["pod"])
            expect(after["desiredStatus"] == "EXITED" and after["runtime"] is None, f"after stop: {after}")

        def resume_pod():
            pod = runpod.resume_pod(state["pod"], 1)
            expect(pod["id"] == state["pod"] and pod["desiredStatus"] == "RUNNING", f"resume_pod returned {pod}")

        def terminate_pod():
            expect(runpod.terminate_pod(state["pod"]) is None, "terminate_pod returned something")
            expect(runpod.get_pod(state["pod"]) is None, "a terminated pod is not null from get_pod")
            answer = rest_get(f"/v2/pods/{state['pod']}")
            expect(answer.status_code == 404 or answer.json().get("status") == "TERMINATED",
                   f"REST still sees the terminated pod: {answer.status_code}")
            expect(state["pod"] not in [p["id"] for p in runpod.get_pods()], "get_pods lists a terminated pod")

        def rest_pod_visible_to_sdk():
            body = {"name": "made-by-rest", "image": IMAGE, "gpu": {"id": state["stocked"], "count": 1},
                    "cloud": "SECURE", "mounts": {"network": [{"volumeId": VOLUME_ID, "path": "/workspace"}]},
                    "ports": ["8188/http"], "env": {"MADE_BY": "rest"}}
            answer = rest.post(emulator.base + "/v2/pods", json=body, timeout=10)
            expect(answer.status_code == 201, f"REST create: {answer.status_code} {answer.text[:200]}")
            pod_id = answer.json()["id"]
            created.append(pod_id)
            pod = runpod.get_pod(pod_id)
            expect(pod and pod["id"] == pod_id and pod["name"] == "made-by-rest", f"get_pod returned {pod}")
            expect(pod["env"] == ["MADE_BY=rest"] and pod["imageName"] == IMAGE, f"env/image {pod['env']}")
            runpod.terminate_pod(pod_id)
            expect(rest_get(f"/v2/pods/{pod_id}").status_code in (200, 404), "REST read-back failed")

        def no_capacity():
            expect(state.get("empty"), "every GPU is in stock everywhere: nothing to try")
            gpu_id, dc = state["empty"]
            try:
                pod = runpod.create_pod(name="no-capacity", image_name=IMAGE, gpu_type_id=gpu_id, cloud_type="SECURE",
                                        data_center_id=dc)
                created.append(pod["id"])
            except runpod_error.QueryError as e:
                expect(str(e) == NO_CAPACITY, f"QueryError message {e}")
            else:
                raise AssertionError("create_pod without capacity did not raise QueryError")

        def spliced_quote_is_a_query_error():
            # The SDK splices arguments into the query; a quote breaks the document (HTTP 400, JSON errors).
            try:
                runpod.get_gpu('RTX "4090')
            except runpod_error.QueryError:
                pass
            else:
                raise AssertionError("a broken query did not raise QueryError")

        def bad_key():
            good = runpod.api_key
            runpod.api_key = "rpa_NOT_A_REAL_KEY"
            try:
                runpod.get_gpus()
            except runpod_error.AuthenticationError:
                pass
            else:
                raise AssertionError("a bad key did not raise AuthenticationError")
            finally:
                runpod.api_key = good

        def legacy_query_key():
            # Old clients sent the key as ?api_key=; RunPod still accepted it on /graphql.
            answer = requests.post(emulator.base + "/graphql", params={"api_key": emulator.api_key},
                                   json={"query": "{ myself { id } }"}, timeout=10)
            expect(answer.status_code == 200 and answer.json()["data"]["myself"]["id"], f"{answer.status_code}")
            answer = requests.post(emulator.base + "/graphql", params={"api_key": "rpa_NOT_A_REAL_KEY"},
                                   json={"query": "{ myself { id } }"}, timeout=10)
            expect(answer.status_code == 401, f"a bad ?api_key= answered {answer.status_code}")

        def edge_502_is_not_json():
            # RunPod's edge (Cloudflare) answers 5xx with an HTML page; the SDK parses every non-401 body as JSON.
            emulator.set_faults([{"operation": "graphql", "kind": "serverError", "status": 502, "times": 1}])
            try:
                runpod.get_gpus()
            except requests.exceptions.JSONDecodeError:
                pass
            else:
                raise AssertionError("a 502 HTML page did not surface as the SDK's JSON decode error")
            finally:
                emulator.set_faults([])
            expect(runpod.get_gpus(), "the next call after a one-shot fault failed")

        def rate_limited_429():
            # A 429 problem+json has no `errors` member, so the SDK returns it and fails on ["data"].
            emulator.set_faults([{"operation": "graphql", "kind": "rateLimited", "retryAfterSeconds": 1, "times": 1}])
            try:
                runpod.get_gpus()
            except KeyError as e:
                expect(e.args == ("data",), f"KeyError {e.args}")
            else:
                raise AssertionError("a 429 did not surface as KeyError('data')")
            finally:
                emulator.set_faults([])

        for name, check in [
            ("get_gpus lists the catalog", get_gpus),
            ("get_gpu returns the SDK's fields and lowestPrice", get_gpu),
            ("get_gpu of an unknown id raises ValueError", get_gpu_unknown),
            ("create_pod with a network volume, ports, env, mount path", create_pod),
            ("create_pod's pod is in the volume's data center (REST GET /v2/pods/{id})", create_pod_placed_by_volume),
            ("get_pod: desiredStatus RUNNING at once, runtime null", get_pod_desired_status_trap),
            ("get_pod: runtime ports once the container is up", get_pod_running),
            ("get_pods lists the pod", get_pods),
            ("stop_pod returns desiredStatus EXITED", stop_pod),
            ("resume_pod returns desiredStatus RUNNING", resume_pod),
            ("terminate_pod, then get_pod is None", terminate_pod),
            ("a pod created via REST is visible to get_pod", rest_pod_visible_to_sdk),
            ("create_pod without capacity raises QueryError with RunPod's message", no_capacity),
            ("a quote spliced into a query raises QueryError", spliced_quote_is_a_query_error),
            ("a bad key raises AuthenticationError", bad_key),
            ("?api_key= is accepted, a bad one is 401", legacy_query_key),
            ("a 502 HTML page from the edge surfaces as JSONDecodeError (SDK quirk)", edge_502_is_not_json),
            ("a 429 surfaces as KeyError('data') (SDK quirk)", rate_limited_429),
        ]:
            cases.run(name, check)

        for pod_id in created:
            rest.delete(f"{emulator.base}/v2/pods/{pod_id}", timeout=10)
    return cases.finish()


if __name__ == "__main__":
    sys.exit(main())
