#!/usr/bin/env bash
# Takes a screenshot of the service's page (GET /) against the emulator, for the README: docs/images/service-page.png.
#
#   scripts/screenshot-page.sh [OUTPUT.png]
#
# Needs Chromium (Debian's package; this script installs nothing: `apt-get install -y chromium` as root) and a built
# CLI ($RUNPOD_LAUNCHER_BIN, else .build/debug/runpod-launcher: `swift build`). It starts an emulator (time scale
# 0.02) and `serve` with a profiles.toml declaring one pool (source push), pushes demand that rises and falls for
# about two minutes, holds two leases, and then shoots the page. The chart spans the last hour of real time, so two
# minutes of demand fill only its right edge; DEMO_SECONDS makes the demand phase longer.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
out="${1:-$root/docs/images/service-page.png}"
cli="${RUNPOD_LAUNCHER_BIN:-$root/.build/debug/runpod-launcher}"
seconds="${DEMO_SECONDS:-120}"
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "chromium is not installed: apt-get install -y chromium (as root)" >&2; exit 1; }
[ -x "$cli" ] || { echo "$cli is missing: swift build (or set RUNPOD_LAUNCHER_BIN)" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for URL [curl args…]: until it answers 2xx, at most 60 s
    local url="$1"; shift
    for _ in $(seq 600); do curl -fsS -o /dev/null "$@" "$url" 2>/dev/null && return 0; sleep 0.1; done
    echo "$url did not answer" >&2; return 1
}

emulator_port="$(free_port)"
"$cli" emulator --port "$emulator_port" --time-scale 0.02 >"$work/emulator.log" 2>&1 &
pids+=($!)
emulator="http://127.0.0.1:$emulator_port"
wait_for "$emulator/_emulator/state"

cat >"$work/profiles.toml" <<'EOF'
[comfyui]
gpus = ["NVIDIA GeForce RTX 4090"]

[pools.comfyui]
profile = "comfyui"
max = 4
per-pod-concurrency = 2
idle-timeout-seconds = 20
scale-down-delay-seconds = 10
max-cost-per-hour = 3.0
source = { kind = "push" }
EOF

token="screenshot-token"
service_port="$(free_port)"
env -u RUNPOD_LAUNCHER_PROFILE \
    HOME="$work/home" XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config" \
    RUNPOD_API_BASE_URL="$emulator" RUNPOD_API_KEY="rpa_EMULATOR_DEV_KEY_DO_NOT_USE_IN_PRODUCTION" \
    RUNPOD_LAUNCHER_PROXY_URL="$emulator/proxy/{podId}-{port}" RUNPOD_LAUNCHER_SERVICE_TOKEN="$token" \
    "$cli" serve --port "$service_port" --database "sqlite:$work/service.sqlite" --profiles "$work/profiles.toml" \
    --tick 0.5 --terminate-on-exit >"$work/serve.log" 2>&1 &
pids+=($!)
service="http://127.0.0.1:$service_port"
wait_for "$service/v1/pools" -H "Authorization: Bearer $token"
api() { curl -fsS -m 90 -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

# Demand that rises and falls (pushed backlog, refreshed each step), then two leases held for the picture.
steps=(2 5 7 7 3 1 0 4 6 3)
step_seconds=$(( seconds / ${#steps[@]} ))
for backlog in "${steps[@]}"; do
    echo "pushed demand: $backlog" >&2
    api -X PUT "$service/v1/pools/comfyui/demand" -d "{\"backlog\": $backlog, \"ttlSeconds\": $((step_seconds + 5))}" >/dev/null
    sleep "$step_seconds"
done
echo "taking two leases" >&2
api -X POST "$service/v1/pools/comfyui/leases" -d '{"ttlSeconds": 600, "waitSeconds": 60}' >/dev/null
api -X POST "$service/v1/pools/comfyui/leases" -d '{"ttlSeconds": 600, "waitSeconds": 60}' >/dev/null
sleep 2

mkdir -p "$(dirname "$out")"
echo "taking the screenshot" >&2
# --no-sandbox: Chromium refuses to start as root otherwise (a container, CI). The page keeps an event stream open,
# so Chromium is given a deadline rather than waiting for the network to go quiet.
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out" --window-size=1000,900 \
    "$service/" 2>"$work/chromium.log" || { tail -20 "$work/chromium.log" >&2; exit 1; }
echo "wrote $out" >&2
