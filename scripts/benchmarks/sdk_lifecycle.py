"""Baseline 2a: the seed's lifecycle with RunPod's Python SDK (GraphQL): create_pod, poll get_pod until the
container is up, probe the app port through the proxy, terminate_pod. Polls every 2 s as the seed did.
With BENCH_PRINT_READY=1 it prints `ready <unix time>` the moment it considers the pod ready."""
import os
import sys
import time

import requests
import runpod

runpod.api_key = os.environ["RUNPOD_API_KEY"]
proxy = os.environ["RUNPOD_LAUNCHER_PROXY_URL"]
poll = float(os.environ.get("BENCH_SDK_POLL_SECONDS", "2"))

pod = runpod.create_pod(
    name=f"bench-sdk-{os.getpid()}-{time.time_ns()}",
    image_name="bilunsun/comfyuiprod:pod-test-0",
    gpu_type_id=os.environ.get("BENCH_GPU", "NVIDIA GeForce RTX 4090"),
    cloud_type="SECURE",
    network_volume_id=os.environ["BENCH_VOLUME_ID"],
    volume_mount_path="/workspace",
    ports="8188/http",
)
pod_id = pod["id"]
try:
    while True:
        current = runpod.get_pod(pod_id)
        if current and current.get("runtime") and current["runtime"].get("ports"):
            break
        time.sleep(poll)
    url = proxy.replace("{podId}", pod_id).replace("{port}", "8188")
    while True:
        try:
            if requests.get(url + "/", timeout=5).status_code < 500:
                break
        except requests.RequestException:
            pass
        time.sleep(poll)
    if os.environ.get("BENCH_PRINT_READY"):
        print(f"ready {time.time()}", flush=True)
finally:
    runpod.terminate_pod(pod_id)
print(pod_id)
sys.exit(0)
