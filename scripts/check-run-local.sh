#!/usr/bin/env bash
# README's run command in a bounded mode, as a newcomer runs it on a clean checkout: builds, starts
# the emulator and the aggregator, sends the demo events and reads N of them back out of Kinesis.
# Fails unless the first demo event (seq 0) and events of every demo log type came out, as JSON
# lines on stdout with nothing else mixed in. CI runs it before the test suite (.ci/run).
#
#   scripts/check-run-local.sh [N]    (default 30 events)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=${1:-30}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
log() { printf '[check-run-local] %s\n' "$*" >&2; }

if ! timeout 900 scripts/run-local.sh --count "$count" >"$out"; then
  log "scripts/run-local.sh --count $count failed; what it printed on stdout:"
  cat "$out" >&2
  exit 1
fi
fail=0
lines=$(wc -l <"$out")
[ "$lines" -eq "$count" ] || { log "expected $count lines on stdout, got $lines"; fail=1; }
if grep -qv '^{.*}$' "$out"; then
  log "stdout holds lines that are not events:"
  grep -v '^{.*}$' "$out" | head -5 >&2
  fail=1
fi
grep -q '"seq":0,' "$out" || { log "the first demo event (seq 0) did not come out"; fail=1; }
for tag in app.access app.photo app.user; do
  grep -q "\"tag\":\"$tag\"" "$out" || { log "no $tag event came out"; fail=1; }
done
if [ "$fail" -ne 0 ]; then
  log "stdout was:"
  cat "$out" >&2
  exit 1
fi
log "ok: $count events of app.access, app.photo and app.user came out of the stream, seq 0 among them"
