#!/usr/bin/env bash
# Builds kinesis-aggregator, starts the local Kinesis emulator and the aggregator on conf/local.conf,
# sends demo events with a real forward client (npm fluent-logger, with acks), and prints them as
# they come back out of the Kinesis stream. Ctrl-C stops everything.
#
#   scripts/run-local.sh                 run until Ctrl-C
#   scripts/run-local.sh --count 30      stop after 30 events came back out of Kinesis
#   DEMO=0 scripts/run-local.sh          no demo sender: point your own forwarders at 127.0.0.1:24224
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
count=0
while [ $# -gt 0 ]; do
  case "$1" in
    --count) count=$2; shift 2 ;;
    *) echo "usage: $0 [--count N]" >&2; exit 2 ;;
  esac
done
log() { printf '[run-local] %s\n' "$*" >&2; }

log "building (./mvnw package -DskipTests; the first build downloads dependencies)"
./mvnw -B -q package -DskipTests
bin="$root/aggregator-server/target/dist/kinesis-aggregator/bin/kinesis-aggregator"

endpoint=$(scripts/local-kinesis.sh start --port 4567)
scripts/local-kinesis.sh create-stream local-logs 2

mkdir -p run/local
agg_pid=""
sender_pid=""
tail_pid=""
cleanup() {
  trap - EXIT INT TERM
  [ -n "$sender_pid" ] && kill "$sender_pid" 2>/dev/null || true
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
  if [ -n "$agg_pid" ] && kill -0 "$agg_pid" 2>/dev/null; then
    log "stopping the aggregator (SIGTERM: drain, flush, close)"
    kill -TERM "$agg_pid" 2>/dev/null || true
    wait "$agg_pid" 2>/dev/null || true
  fi
  scripts/local-kinesis.sh stop
  log "stopped; the aggregator's log is run/local/aggregator.log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" -c conf/local.conf >run/local/aggregator.log 2>&1 &
agg_pid=$!
for _ in $(seq 1 600); do
  if curl -sf http://127.0.0.1:24220/health/ready >/dev/null 2>&1; then break; fi
  if ! kill -0 "$agg_pid" 2>/dev/null; then
    log "the aggregator exited; its log:"
    cat run/local/aggregator.log >&2
    exit 1
  fi
  sleep 0.1
done
curl -sf http://127.0.0.1:24220/health/ready >/dev/null || { log "not ready after 60 s; see run/local/aggregator.log"; exit 1; }
log "aggregator ready: forward protocol on 127.0.0.1:24224, admin http://127.0.0.1:24220/api/plugins.json"

# The tail starts first, from the stream's tip (its data survives runs: older events stay out); the
# demo sender starts once the tail holds its shard iterators, so no demo event is missed. The tail's
# own log (the SDK's note that certificates are not checked on loopback) goes to run/local/tail.log.
"$bin" tail --stream local-logs --endpoint "$endpoint" --fake-credentials --from latest --count "$count" \
  2>run/local/tail.log &
tail_pid=$!
for _ in $(seq 1 600); do
  grep -q 'Reading stream local-logs' run/local/tail.log 2>/dev/null && break
  kill -0 "$tail_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q 'Reading stream local-logs' run/local/tail.log 2>/dev/null; then
  log "the stream reader did not start; its log:"
  cat run/local/tail.log >&2
  exit 1
fi
log "events coming out of Kinesis stream local-logs ($endpoint):"
if [ "${DEMO:-1}" != 0 ]; then
  node tools/node/demo-sender.js --port 24224 --rate 5 2>run/local/demo-sender.log &
  sender_pid=$!
  log "demo forwarder sending app.access / app.photo / app.user events (run/local/demo-sender.log)"
fi
rc=0
wait "$tail_pid" || rc=$?
tail_pid=""
if [ "$rc" -ne 0 ]; then
  log "the stream reader failed (exit $rc); its log:"
  cat run/local/tail.log >&2
  exit "$rc"
fi
