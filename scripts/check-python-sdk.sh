#!/usr/bin/env bash
# Drives the emulator's legacy GraphQL API with RunPod's own Python SDK (runpod==1.12.0) and checks it gets the
# answers RunPod would give, and that GraphQL and REST v2 act on one world.
# Uses EMULATOR_URL if set (and EMULATOR_API_KEY), otherwise starts .build/debug/runpod-launcher emulator on a
# free port and stops it at the end.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=fidelity/venv.sh
source "$here/fidelity/venv.sh"
fidelity_venv "$here/fidelity/requirements-sdk.txt"
exec "$FIDELITY_PYTHON" "$here/fidelity/check_python_sdk.py" "$@"
