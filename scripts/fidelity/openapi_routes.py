"""The OpenAPI check's cases beyond the launcher's own operations: authentication before routing, the current create
contract (entrypoint/cmd, CUDA floor, placement filters, 413), percent-encoded IDs, PATCH of pods, and every other
documented route (SSH keys, templates, registries and delegations, network volumes, CPU and data-center catalog,
clusters, billing, serverless). Used by check_openapi.py; each case validates through its Checker."""
import json

import requests

from common import VOLUME_ID, expect

GPU = "NVIDIA GeForce RTX 4090"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFidelityFidelityFidelityFidelityFidelityFid fidelity@check"


def route_cases(c, emulator, state, pod_ids):
    """(name, check) pairs, run in order; they share `ids`."""
    ids = {}

    def raw(method, path, *, auth=True, data=None, headers=None):
        sent = {"Authorization": f"Bearer {emulator.api_key}"} if auth else {}
        sent.update(headers or {})
        return requests.request(method, c.base + path, data=data, headers=sent, timeout=30)

    def problem(answer, status):
        expect(answer.status_code == status, f"status {answer.status_code}, expected {status}: {answer.text[:200]}")
        expect(answer.headers.get("Content-Type", "").startswith("application/problem+json"),
               f"Content-Type {answer.headers.get('Content-Type')!r}")
        body = answer.json()
        expect(body.get("status") == status and body.get("title") and body.get("detail"), f"not a problem document: {body}")
        return body

    # Authentication comes before routing; unknown paths are problem+json.
    def unknown_path_401():
        problem(raw("GET", "/v2/no-such-route", auth=False), 401)
        problem(raw("GET", "/v2/no-such-route", headers={"Authorization": "Bearer rpa_WRONG"}, auth=False), 401)

    def unknown_path_404():
        problem(raw("GET", "/v2/no-such-route"), 404)

    def wrong_method_405():
        answer = raw("PUT", "/v2/pods")
        problem(answer, 405)
        expect(set(answer.headers.get("Allow", "").replace(" ", "").split(",")) == {"GET", "POST"},
               f"Allow: {answer.headers.get('Allow')!r}")

    def too_large_413():
        body = json.dumps({"name": "big", "image": "x", "gpu": {"id": GPU}, "env": {"BLOB": "x" * 110_000}})
        problem(raw("POST", "/v2/pods", auth=False, data=body, headers={"Content-Type": "application/json"}), 413)

    # Account.
    def ssh_keys_get():
        _, _, body = c.call("GET", "/v2/account/ssh-keys", 200)
        expect(isinstance(body["keys"], list), f"keys: {body}")

    def ssh_keys_put():
        _, _, body = c.call("PUT", "/v2/account/ssh-keys", 200, body={"keys": [KEY]})
        expect(body["keys"] == [KEY], f"keys after PUT: {body}")

    def ssh_keys_422():
        c.call("PUT", "/v2/account/ssh-keys", 422, body={"keys": ["not a key"]}, schema_valid_request=False)

    def ssh_keys_401():
        c.call("GET", "/v2/account/ssh-keys", 401, auth=False, schema_valid_request=False)

    # Pods: today's create contract.
    def create_command_and_filters():
        body = c.create_body(state["stocked"], name="command", entrypoint=["python"], cmd=["main.py", "--port", "8188"])
        body["gpu"].update({"minCudaVersion": "12.2", "minRamPerGpu": 8, "minVcpuCountPerGpu": 2})
        # These fields are newer than the 2026-08-18 document, so the request itself does not validate against it.
        _, _, pod = c.call("POST", "/v2/pods", 201, body=body, schema_valid_request=False)
        pod_ids.append(pod["id"])
        ids["command"] = pod["id"]
        expect(pod["entrypoint"] == ["python"] and pod["cmd"] == ["main.py", "--port", "8188"], f"command: {pod}")
        expect(json.loads(pod["args"]) == {"entrypoint": ["python"], "cmd": ["main.py", "--port", "8188"]}, f"args: {pod['args']!r}")
        expect(pod["gpu"]["vcpuCount"] >= 2 and pod["gpu"]["memory"] >= 8, f"gpu: {pod['gpu']}")

    def create_400_cuda_rules():
        body = c.create_body(state["stocked"], name="cuda")
        body["gpu"].update({"minCudaVersion": "12.2", "allowedCudaVersions": ["12.8"]})
        c.call("POST", "/v2/pods", 400, body=body)

    def create_404_template():
        c.call("POST", "/v2/pods", 404, body=c.create_body(state["stocked"], name="tpl", templateId="no-such-template"))

    def gpu_by_encoded_id():
        _, _, body = c.call("GET", "/v2/catalog/gpus/NVIDIA%20GeForce%20RTX%204090", 200)
        expect(body["id"] == GPU, f"id {body['id']!r}")

    def gpu_404():
        c.call("GET", "/v2/catalog/gpus/NVIDIA%20GeForce%20GTX%20480", 404)

    def update_pod_200():
        _, _, pod = c.call("PATCH", f"/v2/pods/{ids['command']}", 200, body={"name": "renamed", "ports": ["8188/http"],
                                                                             "mounts": {"network": [{"volumeId": VOLUME_ID, "path": "/data"}]}})
        expect(pod["name"] == "renamed" and pod["ports"] == ["8188/http"], f"patched: {pod}")
        expect(pod["mounts"]["network"][0]["path"] == "/data", f"mounts: {pod['mounts']}")

    def update_pod_400():
        c.call("PATCH", f"/v2/pods/{ids['command']}", 400, body={"mounts": {"network": []}})

    def update_pod_422():
        c.call("PATCH", f"/v2/pods/{ids['command']}", 422, body={"gpu": {"id": GPU}}, schema_valid_request=False)

    def update_pod_404():
        c.call("PATCH", "/v2/pods/no-such-pod", 404, body={"name": "x"})

    def logs_404():
        c.call("GET", "/v2/pods/no-such-pod/logs", 404)

    def action_404_422():
        c.call("POST", "/v2/pods/no-such-pod/action", 404, body={"action": "stop"})
        c.call("POST", f"/v2/pods/{ids['command']}/action", 422, body={"action": "explode"}, schema_valid_request=False)

    # Catalog.
    def cpus():
        c.call("GET", "/v2/catalog/cpus", 200)
        _, _, body = c.call("GET", "/v2/catalog/cpus", 200, query={"include": "AVAILABILITY", "product": "POD"})
        ids["cpu"] = body["cpus"][0]["id"]
        c.call("GET", "/v2/catalog/cpus", 400, query={"include": "AVAILABILITY"})

    def cpu_by_id():
        c.call("GET", f"/v2/catalog/cpus/{ids['cpu']}", 200)
        c.call("GET", "/v2/catalog/cpus/no-such-cpu", 404)

    def datacenter_by_id():
        _, _, body = c.call("GET", f"/v2/catalog/datacenters/{c.volume_dc}", 200, query={"include": "GPU_AVAILABILITY"})
        expect(body["id"] == c.volume_dc and body.get("gpuAvailability"), f"data center: {body}")
        c.call("GET", "/v2/catalog/datacenters/NO-SUCH-1", 404)
        c.call("GET", "/v2/catalog/datacenters", 422, query={"regions": "MARS"}, schema_valid_request=False)

    def public_templates():
        for source in ("official", "verified", "community"):
            _, _, body = c.call("GET", "/v2/catalog/templates", 200, query={"source": source})
            expect(body["templates"], f"no {source} templates")
            ids.setdefault("public", body["templates"][0]["id"])
        c.call("GET", "/v2/catalog/templates", 422, query={"source": "mine"}, schema_valid_request=False)

    # Templates.
    def templates():
        _, _, template = c.call("POST", "/v2/templates", 201, body={"name": "fidelity-template", "image": "runpod/base:0.1",
                                                                   "ports": ["8888/http"], "env": {"A": "1"}})
        ids["template"] = template["id"]
        c.call("POST", "/v2/templates", 400, body={"name": "fidelity-template", "image": "runpod/base:0.1"})
        c.call("POST", "/v2/templates", 422, body={"name": "no-image"}, schema_valid_request=False)
        _, _, listed = c.call("GET", "/v2/templates", 200)
        expect(ids["template"] in [t["id"] for t in listed["templates"]], "the new template is not listed")
        c.call("GET", f"/v2/templates/{ids['template']}", 200)
        c.call("GET", f"/v2/templates/{ids['public']}", 200)
        c.call("GET", "/v2/templates/no-such-template", 404)
        _, _, patched = c.call("PATCH", f"/v2/templates/{ids['template']}", 200, body={"name": "fidelity-template-2"})
        expect(patched["name"] == "fidelity-template-2", f"renamed: {patched}")
        c.call("PATCH", f"/v2/templates/{ids['public']}", 404, body={"name": "mine-now"})
        c.call("PATCH", f"/v2/templates/{ids['template']}", 422, body={"mounts": {"network": []}}, schema_valid_request=False)
        c.call("PATCH", f"/v2/templates/{ids['template']}", 400, body={"registry": "no-such-registry"})

    def pod_from_template():
        body = {"name": "from-template", "templateId": ids["template"], "gpu": {"id": state["stocked"]},
                "dataCenterIds": [c.volume_dc], "env": {"B": "2"}}
        _, _, pod = c.call("POST", "/v2/pods", 201, body=body)
        pod_ids.append(pod["id"])
        expect(pod["image"] == "runpod/base:0.1" and pod["env"] == {"A": "1", "B": "2"}, f"template not applied: {pod}")
        expect(pod["template"] is None, "the pod keeps a link to its template")

    # Network volumes.
    def volumes():
        _, _, volume = c.call("POST", "/v2/network-volumes", 201, body={"name": "fidelity", "size": 20, "dataCenter": c.volume_dc})
        ids["volume"] = volume["id"]
        c.call("POST", "/v2/network-volumes", 400, body={"name": "nowhere", "size": 20, "dataCenter": "NO-SUCH-1"})
        c.call("POST", "/v2/network-volumes", 422, body={"name": "tiny", "size": 1, "dataCenter": c.volume_dc}, schema_valid_request=False)
        _, _, grown = c.call("PATCH", f"/v2/network-volumes/{ids['volume']}", 200, body={"size": 40})
        expect(grown["size"] == 40, f"size {grown['size']}")
        c.call("PATCH", f"/v2/network-volumes/{ids['volume']}", 400, body={"size": 30})
        c.call("PATCH", "/v2/network-volumes/no-such-volume", 404, body={"size": 30})
        c.call("PATCH", f"/v2/network-volumes/{ids['volume']}", 422, body={"type": "STANDARD"}, schema_valid_request=False)
        c.call("DELETE", f"/v2/network-volumes/{ids['volume']}", 204)
        c.call("DELETE", f"/v2/network-volumes/{ids['volume']}", 404)

    # Registries and delegations.
    def registries():
        _, _, registry = c.call("POST", "/v2/registries", 201, body={"name": "fidelity", "username": "u", "password": "p"})
        expect(set(registry) == {"id", "name"}, f"credentials leaked: {registry}")
        ids["registry"] = registry["id"]
        c.call("POST", "/v2/registries", 400, body={"name": "fidelity", "username": "u", "password": "p"})
        c.call("POST", "/v2/registries", 422, body={"name": "x"}, schema_valid_request=False)
        c.call("GET", "/v2/registries", 200)
        c.call("GET", f"/v2/registries/{ids['registry']}", 200)
        c.call("GET", "/v2/registries/no-such-registry", 404)
        _, _, pod = c.call("POST", "/v2/pods", 201, body=c.create_body(state["stocked"], name="private", registry=ids["registry"]))
        pod_ids.append(pod["id"])
        c.call("DELETE", f"/v2/registries/{ids['registry']}", 400)
        c.call("DELETE", f"/v2/pods/{pod['id']}", 204)
        c.call("DELETE", f"/v2/registries/{ids['registry']}", 204)
        c.call("DELETE", f"/v2/registries/{ids['registry']}", 404)

    def delegations():
        resource = "arn:aws:ecr:us-east-1:123456789012:repository/fidelity"
        _, _, delegation = c.call("POST", "/v2/registries/delegations", 201, body={"resource": resource, "name": "f"})
        c.call("POST", "/v2/registries/delegations", 400, body={"resource": "not-an-arn"})
        _, _, listed = c.call("GET", "/v2/registries/delegations", 200)
        expect(delegation["id"] in [d["id"] for d in listed["delegations"]], "the delegation is not listed")
        c.call("DELETE", f"/v2/registries/delegations/{delegation['id']}", 204)
        c.call("DELETE", f"/v2/registries/delegations/{delegation['id']}", 404)

    # Clusters.
    def clusters():
        body = {"name": "fidelity-cluster", "type": "SLURM", "image": "runpod/base:0.1", "ports": ["22/tcp"],
                "compute": {"gpuTypeId": state["stocked"], "gpuCountPerPod": 1, "podCount": 2}, "dataCenterIds": [c.volume_dc]}
        _, _, cluster = c.call("POST", "/v2/clusters", 201, body=body)
        ids["cluster"] = cluster["id"]
        expect(cluster["pods"]["total"] == 2, f"pods: {cluster['pods']}")
        big = dict(body, name="too-big", compute={"gpuTypeId": state["stocked"], "gpuCountPerPod": 1, "podCount": 250})
        c.call("POST", "/v2/clusters", 400, body=big)
        c.call("POST", "/v2/clusters", 422, body=dict(body, type="HPC"), schema_valid_request=False)
        c.call("GET", "/v2/clusters", 200)
        c.call("GET", f"/v2/clusters/{ids['cluster']}", 200)
        c.call("GET", "/v2/clusters/no-such-cluster", 404)
        _, _, members = c.call("GET", f"/v2/clusters/{ids['cluster']}/pods", 200)
        ranks = sorted(p["cluster"]["rank"] for p in members["pods"])
        expect(ranks == [0, 1], f"ranks {ranks}")
        ids["member"] = members["pods"][0]["id"]
        c.call("GET", "/v2/clusters/no-such-cluster/pods", 404)
        _, _, listed = c.call("GET", "/v2/pods", 200)
        expect(ids["member"] not in [p["id"] for p in listed["pods"]], "a cluster member is listed without includeClusterPods")
        _, _, listed = c.call("GET", "/v2/pods", 200, query={"includeClusterPods": "true"})
        expect(ids["member"] in [p["id"] for p in listed["pods"]], "includeClusterPods=true leaves the member out")
        c.call("PATCH", f"/v2/pods/{ids['member']}", 409, body={"name": "mine"})
        c.call("DELETE", f"/v2/pods/{ids['member']}", 409)
        _, _, renamed = c.call("PATCH", f"/v2/clusters/{ids['cluster']}", 200, body={"name": "renamed-cluster"})
        expect(renamed["name"] == "renamed-cluster", f"renamed: {renamed}")
        c.call("PATCH", "/v2/clusters/no-such-cluster", 404, body={"name": "x"})
        c.call("PATCH", f"/v2/clusters/{ids['cluster']}", 422, body={"type": "RAY"}, schema_valid_request=False)

    def cluster_delete():
        c.call("DELETE", f"/v2/clusters/{ids['cluster']}", 204)
        c.call("DELETE", f"/v2/clusters/{ids['cluster']}", 404)
        c.call("GET", f"/v2/pods/{ids['member']}", 404)

    # Billing.
    def billing():
        for path, key in [("/v2/billing", None), ("/v2/billing/pods", "podId"), ("/v2/billing/serverless", "serverlessId"),
                          ("/v2/billing/endpoints", None), ("/v2/billing/network-volumes", "networkVolumeId"),
                          ("/v2/billing/clusters", "clusterId")]:
            _, _, body = c.call("GET", path, 200, query={"bucketSize": "hour", "lastN": "2"})
            expect(body["metadata"]["recordCount"] == len(body["records"]), f"{path}: recordCount")
            c.call("GET", path, 400, query={"lastN": "2", "startTime": "2026-01-01T00:00:00Z"})
            c.call("GET", path, 422, query={"bucketSize": "fortnight"}, schema_valid_request=False)
        _, _, pods = c.call("GET", "/v2/billing/pods", 200, query={"bucketSize": "day", "lastN": "1"})
        expect(any(r["totalAmount"] > 0 for r in pods["records"]), f"pods billed nothing: {pods['metadata']}")

    # Serverless.
    def serverless():
        body = {"name": "fidelity-endpoint", "type": "QUEUE", "image": "runpod/worker:1", "gpu": {"pools": ["ADA_24"]},
                "scaling": {"type": "QUEUE_DELAY", "queueDelay": 4}}
        _, _, endpoint = c.call("POST", "/v2/serverless", 201, body=body)
        ids["endpoint"] = endpoint["id"]
        c.call("POST", "/v2/serverless", 400, body=dict(body, cpu=[{"id": "cpu3c", "vcpuCount": 2}]))
        c.call("POST", "/v2/serverless", 422, body={"name": "x"}, schema_valid_request=False)
        c.call("POST", "/v2/serverless", 404, body=dict(body, templateId="no-such-template"))
        c.call("GET", "/v2/serverless", 200)
        c.call("GET", f"/v2/serverless/{ids['endpoint']}", 200)
        c.call("GET", "/v2/serverless/no-such-endpoint", 404)
        c.call("PATCH", f"/v2/serverless/{ids['endpoint']}", 200, body={"image": "runpod/worker:2", "workers": {"min": 0, "max": 2}})
        c.call("PATCH", f"/v2/serverless/{ids['endpoint']}", 400, body={"cpu": [{"id": "cpu3c", "vcpuCount": 2}]})
        c.call("PATCH", "/v2/serverless/no-such-endpoint", 404, body={"name": "x"})
        c.call("PATCH", f"/v2/serverless/{ids['endpoint']}", 422, body={"type": "QUEUE"}, schema_valid_request=False)
        c.call("GET", f"/v2/serverless/{ids['endpoint']}/workers", 200)
        c.call("GET", "/v2/serverless/no-such-endpoint/workers", 404)
        _, _, releases = c.call("GET", f"/v2/serverless/{ids['endpoint']}/releases", 200)
        expect([r["version"] for r in releases["releases"]] == [2, 1], f"releases: {releases}")
        c.call("GET", "/v2/serverless/no-such-endpoint/releases", 404)
        c.call("GET", f"/v2/serverless/{ids['endpoint']}/workers/no-such-worker/logs", 404)

    def template_in_use_and_endpoint_delete():
        _, _, template = c.call("POST", "/v2/templates", 201, body={"name": "fidelity-worker", "image": "runpod/worker:1",
                                                                   "serverless": True})
        body = {"name": "bound", "type": "LOAD_BALANCER", "templateId": template["id"], "gpu": {"pools": ["ADA_24"]},
                "scaling": {"type": "REQUEST_COUNT", "requestCount": 2}}
        _, _, endpoint = c.call("POST", "/v2/serverless", 201, body=body)
        c.call("DELETE", f"/v2/templates/{template['id']}", 400)
        c.call("DELETE", f"/v2/serverless/{endpoint['id']}", 204)
        c.call("DELETE", f"/v2/serverless/{endpoint['id']}", 404)
        c.call("DELETE", f"/v2/serverless/{ids['endpoint']}", 204)
        c.call("DELETE", f"/v2/templates/{ids['template']}", 204)
        c.call("DELETE", f"/v2/templates/{ids['template']}", 404)

    def every_operation_401():
        # Authentication comes before routing, so every documented operation (any ID) answers 401 without a key.
        for (method, template) in sorted(c.operations):
            path = template.replace("{workerId}", "x").replace("{id}", "x")
            c.call(method, path, 401, auth=False, schema_valid_request=False,
                   body={} if method in ("POST", "PUT", "PATCH") else None)

    return [
        ("every documented operation: 401 without a key", every_operation_401),
        ("unknown /v2 path: 401 before routing (no key, wrong key)", unknown_path_401),
        ("unknown /v2 path: 404 problem+json", unknown_path_404),
        ("documented path, other method: 405 with Allow", wrong_method_405),
        ("createPod 413 above 102,400 bytes, before authentication", too_large_413),
        ("getSshKeys 200", ssh_keys_get),
        ("updateSshKeys 200", ssh_keys_put),
        ("updateSshKeys 422 (not a public key)", ssh_keys_422),
        ("getSshKeys 401", ssh_keys_401),
        ("createPod 201 (entrypoint, cmd, minCudaVersion, minRamPerGpu, minVcpuCountPerGpu)", create_command_and_filters),
        ("createPod 400 (minCudaVersion with allowedCudaVersions)", create_400_cuda_rules),
        ("createPod 404 (unknown templateId)", create_404_template),
        ("getGpuType 200 (percent-encoded ID)", gpu_by_encoded_id),
        ("getGpuType 404", gpu_404),
        ("updatePod 200 (name, ports, mount path)", update_pod_200),
        ("updatePod 400 (network: [])", update_pod_400),
        ("updatePod 422 (field not in UpdatePodRequest)", update_pod_422),
        ("updatePod 404", update_pod_404),
        ("getPodLogs 404", logs_404),
        ("podAction 404 and 422", action_404_422),
        ("listCpuTypes 200 and 400", cpus),
        ("getCpuType 200 and 404", cpu_by_id),
        ("getDataCenter 200 and 404; listDataCenters 422", datacenter_by_id),
        ("listPublicTemplates 200 (each source) and 422", public_templates),
        ("templates: create, list, get, update (201/200/400/404/422)", templates),
        ("createPod 201 from a template (env merged, no link kept)", pod_from_template),
        ("network volumes: create, update, delete (201/200/204/400/404/422)", volumes),
        ("registries: create, list, get, delete (201/200/204/400/404/422)", registries),
        ("ECR delegations: create, list, revoke (201/200/204/400/404)", delegations),
        ("clusters: create, list, get, rename, members (201/200/400/404/409/422)", clusters),
        ("deleteCluster 204 and 404; members gone", cluster_delete),
        ("billing: every route, 200/400/422", billing),
        ("serverless endpoints: create, get, update, workers, releases, logs", serverless),
        ("deleteTemplate 400 while bound; deleteEndpoint 204/404; deleteTemplate 204/404", template_in_use_and_endpoint_delete),
    ]
