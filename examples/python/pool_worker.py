"""A Celery task that leases a pod of a `runpod-launcher serve` pool, runs one ComfyUI workflow on it, and always
releases the lease.

    RUNPOD_LAUNCHER_URL=http://127.0.0.1:8780 RUNPOD_LAUNCHER_SERVICE_TOKEN=... \
        celery -A pool_worker worker --loglevel=INFO

    render.delay(workflow)   # workflow: ComfyUI's API-format JSON ("Save (API format)")

The pool (here `comfyui`) is declared in profiles.toml as `[pools.comfyui]` or with `PUT /v1/pools/comfyui`. A lease
request that finds no free pod waits (up to `waitSeconds`) and counts as demand, so the pool scales up for it, from
zero too; a pod that holds a lease or has work in its ComfyUI queue is never scaled down."""
import os
import time

import requests
from celery import Celery

SERVICE = os.environ.get("RUNPOD_LAUNCHER_URL", "http://127.0.0.1:8780")
TOKEN = os.environ.get("RUNPOD_LAUNCHER_SERVICE_TOKEN", "")
POOL = os.environ.get("RUNPOD_LAUNCHER_POOL", "comfyui")

app = Celery("comfy", broker=os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0"))


def _service():
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    return session


@app.task(bind=True, acks_late=True, max_retries=5)
def render(self, workflow: dict) -> dict:
    """Lease a pod, queue the workflow on its ComfyUI (/prompt), wait for its history entry, release the lease."""
    service = _service()
    # The TTL bounds how long a crashed worker can hold the slot; renew (POST /v1/leases/{id}/renew) for longer jobs.
    answer = service.post(f"{SERVICE}/v1/pools/{POOL}/leases", json={"ttlSeconds": 900, "waitSeconds": 300}, timeout=330)
    if answer.status_code == 503:
        # No pod had a free slot within waitSeconds (the pool is at max, or its cost ceiling): try again later.
        raise self.retry(countdown=int(answer.headers.get("Retry-After", "30")))
    answer.raise_for_status()
    lease = answer.json()
    try:
        comfyui = lease["urls"]["8188"]
        queued = requests.post(f"{comfyui}/prompt", json={"prompt": workflow, "client_id": self.request.id}, timeout=60)
        queued.raise_for_status()
        prompt_id = queued.json()["prompt_id"]
        while True:
            history = requests.get(f"{comfyui}/history/{prompt_id}", timeout=30).json()
            if prompt_id in history:
                entry = history[prompt_id]
                if entry.get("status", {}).get("status_str") != "success":
                    raise RuntimeError(f"ComfyUI prompt {prompt_id} ended with {entry.get('status')}")
                return entry["outputs"]
            time.sleep(2)
    finally:
        # Always give the slot back, on success or failure. (A worker killed before this line holds it only until
        # the lease's TTL runs out.)
        service.delete(f"{SERVICE}/v1/leases/{lease['id']}", timeout=30)
