#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests, checks and benchmarks: made in a temporary directory, listening on a free
# loopback port, trusted for local connections only, removed by `stop`.
#
#   scripts/postgres/cluster.sh start DIR   # prints the URL (postgres://postgres@127.0.0.1:PORT/postgres)
#   scripts/postgres/cluster.sh stop DIR    # stops the server and removes DIR
#
# Uses Debian's PostgreSQL (/usr/lib/postgresql/*/bin). As root, the server runs as the `postgres` user (initdb
# refuses root).
set -euo pipefail

bin_dir() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [[ -z "$found" ]]; then
        found=$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")
    fi
    [[ -x "$found/initdb" ]] || { echo "no PostgreSQL server found: apt-get install postgresql" >&2; exit 1; }
    echo "$found"
}

as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

cmd=${1:-}; dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
BIN=$(bin_dir)

case "$cmd" in
start)
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
    as_owner "$BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(free_port)
    # fsync off: a throw-away cluster needs no durability, and tests create a database each.
    as_owner "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=300" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
    ;;
stop)
    if [[ -d "$dir/data" ]]; then as_owner "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2; exit 2
    ;;
esac
