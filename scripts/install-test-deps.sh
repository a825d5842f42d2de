#!/usr/bin/env bash
# Installs what the tests and the local run need beyond Maven's dependencies:
#   - tools/node/node_modules from the committed lockfile (kinesalite, aws-kinesis-agg, fluent-logger)
#   - Debian's python3-fluent-logger, for the Python forward client tests
# Idempotent: does nothing when everything is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

log() { printf '[install-test-deps] %s\n' "$*"; }

# npm packages, exactly as locked.
lock="$root/tools/node/package-lock.json"
stamp="$root/tools/node/node_modules/.installed-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
  log "npm ci in tools/node"
  (cd "$root/tools/node" && npm ci --no-audit --no-fund --loglevel=error) >&2
  cp "$lock" "$stamp"
fi

# Debian's python3-fluent-logger for /usr/bin/python3 (the tests run that interpreter).
if ! /usr/bin/python3 -c 'import fluent.sender' >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo -n"; else
    log "python3-fluent-logger is missing and this user cannot install Debian packages; run: apt-get install python3-fluent-logger"
    exit 1
  fi
  log "apt-get install python3-fluent-logger"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q python3-fluent-logger >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q python3-fluent-logger >/dev/null
  }
fi
log "ok"
