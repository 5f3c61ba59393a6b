#!/usr/bin/env bash
# Validates the emulator's REST v2 answers against RunPod's published OpenAPI document (openapi-core).
# Uses EMULATOR_URL if set (and EMULATOR_API_KEY), otherwise starts .build/debug/runpod-launcher emulator on a
# free port and stops it at the end. RUNPOD_OPENAPI_PATH overrides the document's path
# (default: ../shared/reference/runpod-rest-v2-openapi.json beside the repository).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=fidelity/venv.sh
source "$here/fidelity/venv.sh"
fidelity_venv "$here/fidelity/requirements-openapi.txt"
exec "$FIDELITY_PYTHON" "$here/fidelity/check_openapi.py" "$@"
