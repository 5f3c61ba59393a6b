#!/usr/bin/env bash
# Drives `runpod-launcher serve` as a Python backend would, against the emulator: create / wait / use / delete,
# idempotent retries, 401, 422, 413, SSE with resume, kill -9 during a create and a restart (0 leaked, 0 duplicated),
# SIGTERM, the README's example, schemathesis; every answer validated against the service's OpenAPI document.
# Starts its own emulator and serve (.build/debug/runpod-launcher, or RUNPOD_LAUNCHER_BIN) on free loopback ports
# with scratch XDG directories. Its own virtual environment: .venv-service (SERVICE_VENV to change).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
# shellcheck source=fidelity/venv.sh
source "$here/fidelity/venv.sh"
FIDELITY_VENV="${SERVICE_VENV:-$root/.venv-service}" fidelity_venv "$here/service/requirements.txt"
exec "$FIDELITY_PYTHON" "$here/service/check_service.py" "$@"
