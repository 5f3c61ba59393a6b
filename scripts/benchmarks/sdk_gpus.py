"""Baseline 1a: RunPod's official Python SDK, cold start + one call (get_gpus), as a user would run it."""
import os

import runpod

runpod.api_key = os.environ["RUNPOD_API_KEY"]
gpus = runpod.get_gpus()
print(len(gpus))
