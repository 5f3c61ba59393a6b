#!/usr/bin/env bash
# Three `runpod-launcher serve` replicas on one PostgreSQL database against the emulator: launches and leases through
# different replicas, kill -9 of the leader mid-create, then a new leader within 10 s, every launch reconciled, 0 pods
# leaked or duplicated, leases kept, SSE resumed on another replica. PostgreSQL: $RUNPOD_LAUNCHER_TEST_POSTGRES, or a
# throw-away cluster (scripts/postgres/cluster.sh). Its own virtual environment: .venv-service (SERVICE_VENV).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
# shellcheck source=fidelity/venv.sh
source "$here/fidelity/venv.sh"
FIDELITY_VENV="${SERVICE_VENV:-$root/.venv-service}" fidelity_venv "$here/service/requirements.txt"
exec "$FIDELITY_PYTHON" "$here/service/check_replicas.py" "$@"
