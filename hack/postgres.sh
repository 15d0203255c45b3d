#!/usr/bin/env bash
# Starts and stops a throwaway PostgreSQL server for tests and the demo.
#
#   hack/postgres.sh start DIR   initdb + pg_ctl in DIR on a free loopback port; prints the DSN
#   hack/postgres.sh stop DIR    stops the server and removes DIR
#
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
# (created when missing). Where the binaries are missing it installs Debian's postgresql package.
set -euo pipefail

log() { echo "postgres: $*" >&2; }

find_bin() {
  local name="$1" dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x "$dir/$name" ]] && { echo "$dir/$name"; return; }
  done
  return 1
}

ensure_binaries() {
  if find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null; then return; fi
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "initdb/pg_ctl not found; installing Debian's postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  find_bin initdb >/dev/null && find_bin pg_ctl >/dev/null || {
    log "initdb and pg_ctl are missing: install PostgreSQL 15 or later (Debian: apt-get install postgresql)"
    exit 1
  }
}

# as_owner runs a command as the user that owns the data directory.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 - <<'PY' 2>/dev/null || echo $(( 20000 + RANDOM % 20000 ))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

start() {
  local dir="$1"
  ensure_binaries
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    log "creating the postgres system user"
    useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir" && chmod 700 "$dir"
  # The parent folders must be traversable by the server's user.
  [[ $(id -u) -eq 0 ]] && chmod o+x "$(dirname "$dir")"
  local port
  port="$(free_port)"
  as_owner "$(find_bin initdb)" -D "$dir/data" -U modelcert --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 || {
    log "initdb failed:"; cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$(find_bin pg_ctl)" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { log "pg_ctl start failed:"; cat "$dir/server.log" >&2; exit 1; }
  echo "$port" > "$dir/port"
  echo "postgres://modelcert@127.0.0.1:$port/postgres?sslmode=disable"
}

stop() {
  local dir="$1"
  [[ -d "$dir/data" ]] || return 0
  as_owner "$(find_bin pg_ctl)" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start "${2:?usage: postgres.sh start DIR}" ;;
  stop) stop "${2:?usage: postgres.sh stop DIR}" ;;
  *) echo "usage: hack/postgres.sh start|stop DIR" >&2; exit 2 ;;
esac
