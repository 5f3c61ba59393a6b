"""Baseline 2b: the same lifecycle over RunPod REST v2 with `requests`, the way a Python user would write it
today: resolve the volume's data center, create there, poll until RUNNING with ports, probe, delete, confirm.
With BENCH_PRINT_READY=1 it prints `ready <unix time>` the moment it considers the pod ready."""
import os
import time

import requests

base = os.environ.get("RUNPOD_API_BASE_URL", "https://api.runpod.io").rstrip("/")
proxy = os.environ["RUNPOD_LAUNCHER_PROXY_URL"]
poll = float(os.environ.get("BENCH_REQUESTS_POLL_SECONDS", "1"))
session = requests.Session()
session.headers["Authorization"] = f"Bearer {os.environ['RUNPOD_API_KEY']}"
volume_id = os.environ["BENCH_VOLUME_ID"]

volume = session.get(f"{base}/v2/network-volumes/{volume_id}", timeout=30)
volume.raise_for_status()
body = {
    "name": f"bench-requests-{os.getpid()}-{time.time_ns()}",
    "image": "bilunsun/comfyuiprod:pod-test-0",
    "gpu": {"id": os.environ.get("BENCH_GPU", "NVIDIA GeForce RTX 4090"), "count": 1},
    "cloud": "SECURE",
    "dataCenterIds": [volume.json()["dataCenter"]],
    "mounts": {"network": [{"volumeId": volume_id, "path": "/workspace"}]},
    "ports": ["8188/http"],
}
created = session.post(f"{base}/v2/pods", json=body, timeout=30)
created.raise_for_status()
pod_id = created.json()["id"]
try:
    while True:
        pod = session.get(f"{base}/v2/pods/{pod_id}", timeout=30).json()
        if pod["status"] == "RUNNING" and pod.get("runtime") and pod["runtime"].get("ports"):
            break
        time.sleep(poll)
    url = proxy.replace("{podId}", pod_id).replace("{port}", "8188")
    while True:
        try:
            if requests.get(url + "/", timeout=5).status_code < 500:  # no API key to the proxy
                break
        except requests.RequestException:
            pass
        time.sleep(poll)
    if os.environ.get("BENCH_PRINT_READY"):
        print(f"ready {time.time()}", flush=True)
finally:
    session.delete(f"{base}/v2/pods/{pod_id}", timeout=30)
    while session.get(f"{base}/v2/pods/{pod_id}", timeout=30).status_code != 404:
        time.sleep(poll)
print(pod_id)
