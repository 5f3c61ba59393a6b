"""Get a ready pod from `runpod-launcher serve`, use it, give it back: the README's example, runnable.

    RUNPOD_LAUNCHER_URL=http://127.0.0.1:8780 RUNPOD_LAUNCHER_SERVICE_TOKEN=... python3 launch_with_requests.py

scripts/check-service.sh runs this file against a service on the emulator, so the README's example stays true."""
import os
import uuid

import requests

SERVICE = os.environ.get("RUNPOD_LAUNCHER_URL", "http://127.0.0.1:8780")
session = requests.Session()
session.headers["Authorization"] = f"Bearer {os.environ['RUNPOD_LAUNCHER_SERVICE_TOKEN']}"

# 1. Ask for a pod. The answer (202) comes at once: the launch is recorded, the service creates the pod.
#    Reuse one Idempotency-Key for every retry of this request (a job ID is ideal): a retried POST then
#    returns the same launch and never makes a second pod.
answer = session.post(
    f"{SERVICE}/v1/pods",
    json={"name": "readme-example", "ports": ["8188/http"], "timeoutSeconds": 600, "maxLifetimeSeconds": 3600},
    headers={"Idempotency-Key": f"readme-example-{uuid.uuid4()}"},
    timeout=30,
)
answer.raise_for_status()
launch = answer.json()
try:
    # 2. Wait until it is ready: a long poll that answers when the launch is ready, failed or terminated, or after
    #    timeoutSeconds (then ask again). Keep the HTTP read timeout above timeoutSeconds.
    while launch["state"] not in ("ready", "failed", "terminated"):
        launch = session.get(
            f"{SERVICE}/v1/pods/{launch['id']}", params={"wait": "ready", "timeoutSeconds": 60}, timeout=90
        ).json()
    if launch["state"] != "ready":
        raise SystemExit(f"no pod: {launch['error']}")

    # 3. Use it: urls maps each HTTP port to its public URL.
    comfyui = launch["urls"]["8188"]
    stats = requests.get(f"{comfyui}/system_stats", timeout=30)
    stats.raise_for_status()
    print(f"pod {launch['podId']} is ready at {comfyui}: {stats.json()}")
finally:
    # 4. Give it back, whatever happened: the service terminates the pod and confirms it gone.
    session.delete(f"{SERVICE}/v1/pods/{launch['id']}", timeout=30).raise_for_status()
