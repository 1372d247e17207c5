#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the control plane's tests and prints its URL.
#
#   eval "$(scripts/ci-postgres.sh)"        # exports NAVI_TEST_DATABASE_URL (and NAVI_TEST_PGDATA)
#   scripts/ci-postgres.sh stop [PGDATA]    # stops it again and removes the data directory
#
# - Installs Debian's `postgresql` package when no server binaries are found (needs root).
# - The cluster runs as an unprivileged user (`postgres` when it exists; PostgreSQL refuses to run
#   as root), listens on 127.0.0.1 only, on a free port (or $NAVI_PG_PORT), with its socket in the
#   data directory, so it never touches a system cluster.
# - Authentication is `trust` for the single local superuser `navi`: the cluster is reachable only
#   from this machine and lives for one CI run.
# - stdout carries only `export …` lines; progress goes to stderr.
set -euo pipefail

log() { printf 'ci-postgres: %s\n' "$*" >&2; }

find_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$dir" && -x "$dir/initdb" ]] && printf '%s' "$dir"
}

run_as() {
  # Run a command as the cluster's owner ($PG_USER), or directly when we already are that user.
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

if [[ "${1:-}" == "stop" ]]; then
  PGDATA_DIR="${2:-${NAVI_TEST_PGDATA:-}}"
  [[ -n "$PGDATA_DIR" ]] || { log "usage: $0 stop PGDATA"; exit 2; }
  BIN=$(find_bin) || { log "no PostgreSQL binaries found"; exit 1; }
  PG_USER=$(stat -c %U "$PGDATA_DIR")
  run_as "$BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >&2 || true
  rm -rf "$PGDATA_DIR"
  log "stopped and removed $PGDATA_DIR"
  exit 0
fi

BIN=$(find_bin || true)
if [[ -z "$BIN" ]]; then
  [[ "$(id -u)" -eq 0 ]] || { log "PostgreSQL is not installed and this is not root: apt-get install postgresql"; exit 1; }
  log "installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # postgresql-common would create and start a system cluster; we only want the binaries.
  mkdir -p /etc/postgresql-common
  printf 'create_main_cluster = false\n' >/etc/postgresql-common/createcluster.conf
  apt-get install -y -qq --no-install-recommends postgresql >&2
  BIN=$(find_bin) || { log "installation did not provide initdb"; exit 1; }
fi

if [[ "$(id -u)" -eq 0 ]]; then
  PG_USER=postgres
  id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
else
  PG_USER=$(id -un)
fi

PGDATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/navi-pg.XXXXXX")
chown "$PG_USER" "$PGDATA_DIR"
chmod 0700 "$PGDATA_DIR"

if [[ -n "${NAVI_PG_PORT:-}" ]]; then
  PORT="$NAVI_PG_PORT"
else
  # A port the kernel says is free right now (tiny race with other programs; CI machines are quiet).
  PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
fi

log "initdb in $PGDATA_DIR (owner $PG_USER, $BIN)"
run_as "$BIN/initdb" -D "$PGDATA_DIR" -U navi -A trust -E UTF8 --locale=C.UTF-8 >"$PGDATA_DIR.initdb.log" 2>&1 ||
  { cat "$PGDATA_DIR.initdb.log" >&2; exit 1; }
rm -f "$PGDATA_DIR.initdb.log"

# max_connections: two control-plane instances plus the contract suite and the benchmark's pool.
run_as "$BIN/pg_ctl" -D "$PGDATA_DIR" -w -t 60 -l "$PGDATA_DIR/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGDATA_DIR -c max_connections=200" start >&2 ||
  { cat "$PGDATA_DIR/server.log" >&2; exit 1; }

run_as "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U navi navi_test
URL="postgres://navi@127.0.0.1:$PORT/navi_test"
log "PostgreSQL is up: $URL"
printf 'export NAVI_TEST_DATABASE_URL=%q\n' "$URL"
printf 'export NAVI_TEST_PGDATA=%q\n' "$PGDATA_DIR"
