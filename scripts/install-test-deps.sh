#!/usr/bin/env bash
# Installs what the tests and the local run need beyond Maven's dependencies:
#   - tools/node/node_modules from the committed lockfile (kinesalite, aws-kinesis-agg, fluent-logger)
#   - examples/lambda-router/node_modules from its lockfile (the Lambda router's dependencies, s3rver)
#   - Debian's python3-fluent-logger, for the Python forward client tests
#   - Debian's haproxy, the load balancer in front of FleetIT's three nodes (an NLB's stand-in)
# Idempotent: does nothing when everything is already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

log() { printf '[install-test-deps] %s\n' "$*"; }

# npm packages, exactly as locked.
for dir in tools/node examples/lambda-router; do
  lock="$root/$dir/package-lock.json"
  stamp="$root/$dir/node_modules/.installed-lock"
  if [ ! -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
    log "npm ci in $dir"
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
    cp "$lock" "$stamp"
  fi
done

# Debian packages: python3-fluent-logger for /usr/bin/python3 (the tests run that interpreter),
# haproxy for FleetIT.
missing=()
/usr/bin/python3 -c 'import fluent.sender' >/dev/null 2>&1 || missing+=(python3-fluent-logger)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo -n"; else
    log "${missing[*]} missing and this user cannot install Debian packages; run: apt-get install ${missing[*]}"
    exit 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q "${missing[@]}" >/dev/null
  }
fi
log "ok"
