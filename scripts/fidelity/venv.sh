# Sourced by scripts/check-*.sh: makes (or reuses) the checks' virtual environment and installs one pinned
# requirements file into it. Re-installs only when that file changed (a hash stamp), so a second run is instant.
# Usage: fidelity_venv REQUIREMENTS_FILE   (sets FIDELITY_PYTHON)
fidelity_venv() {
    local requirements="$1"
    local root
    root="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
    local venv="${FIDELITY_VENV:-$root/.venv-checks}"
    if [ ! -x "$venv/bin/python" ]; then
        echo "creating virtual environment $venv" >&2
        python3 -m venv "$venv"
    fi
    local stamp
    stamp="$venv/.stamp-$(basename "$requirements")"
    local want
    want="$(sha256sum "$requirements" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "installing $(basename "$requirements") into $venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
        echo "$want" > "$stamp"
    fi
    FIDELITY_PYTHON="$venv/bin/python"
}
