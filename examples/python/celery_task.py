"""A Celery task that borrows a GPU pod from `runpod-launcher serve`, runs one ComfyUI workflow on it, and always
gives the pod back.

    RUNPOD_LAUNCHER_URL=http://127.0.0.1:8780 RUNPOD_LAUNCHER_SERVICE_TOKEN=... \
        celery -A celery_task worker --loglevel=INFO

    render.delay(workflow)   # workflow: ComfyUI's API-format JSON ("Save (API format)")"""
import os
import time

import requests
from celery import Celery

SERVICE = os.environ.get("RUNPOD_LAUNCHER_URL", "http://127.0.0.1:8780")
TOKEN = os.environ.get("RUNPOD_LAUNCHER_SERVICE_TOKEN", "")

app = Celery("comfy", broker=os.environ.get("CELERY_BROKER_URL", "redis://localhost:6379/0"))


def _service():
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    return session


@app.task(bind=True, acks_late=True, max_retries=3, default_retry_delay=30)
def render(self, workflow: dict) -> dict:
    """Acquire a ready pod, queue the workflow on ComfyUI's /prompt, wait for its outputs, release the pod."""
    service = _service()
    # One key per attempt: if the worker dies mid-task and the broker redelivers it (acks_late), the same attempt
    # gets the same launch back instead of a second pod. A retry after a clean failure asks for a fresh one.
    key = f"render-{self.request.id}-{self.request.retries}"
    answer = service.post(
        f"{SERVICE}/v1/pods",
        json={"profile": "comfyui", "timeoutSeconds": 900, "maxLifetimeSeconds": 2 * 3600},
        headers={"Idempotency-Key": key},
        timeout=30,
    )
    answer.raise_for_status()
    launch = answer.json()
    try:
        while launch["state"] not in ("ready", "failed", "terminated"):
            launch = service.get(
                f"{SERVICE}/v1/pods/{launch['id']}", params={"wait": "ready", "timeoutSeconds": 120}, timeout=150
            ).json()
        if launch["state"] != "ready":
            # No capacity, a timeout, a failed pod: try again later with a new launch.
            raise self.retry(exc=RuntimeError(f"no pod: {launch['error']}"))
        comfyui = launch["urls"]["8188"]
        queued = requests.post(f"{comfyui}/prompt", json={"prompt": workflow, "client_id": self.request.id}, timeout=60)
        queued.raise_for_status()
        prompt_id = queued.json()["prompt_id"]
        while True:
            history = requests.get(f"{comfyui}/history/{prompt_id}", timeout=30).json()
            if prompt_id in history:
                return history[prompt_id]["outputs"]
            time.sleep(2)
    finally:
        # Always give the pod back, on success, failure or retry. (If this worker is killed before it gets here,
        # maxLifetimeSeconds still ends the pod: the service enforces it, across its own restarts too.)
        service.delete(f"{SERVICE}/v1/pods/{launch['id']}", timeout=30)
