"""Baseline 1b: a lean `requests` script listing RunPod's REST v2 GPU catalog, cold start + one call."""
import os

import requests

base = os.environ.get("RUNPOD_API_BASE_URL", "https://api.runpod.io").rstrip("/")
headers = {"Authorization": f"Bearer {os.environ['RUNPOD_API_KEY']}"}
answer = requests.get(f"{base}/v2/catalog/gpus", headers=headers, timeout=30)
answer.raise_for_status()
print(len(answer.json()["gpus"]))
