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
cleanup() {
  trap - EXIT INT TERM
  [ -n "$sender_pid" ] && kill "$sender_pid" 2>/dev/null || true
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

if [ "${DEMO:-1}" != 0 ]; then
  node tools/node/demo-sender.js --port 24224 --rate 5 2>run/local/demo-sender.log &
  sender_pid=$!
  log "demo forwarder sending app.access / app.photo / app.user events (run/local/demo-sender.log)"
fi
log "events coming out of Kinesis stream local-logs ($endpoint):"
"$bin" tail --stream local-logs --endpoint "$endpoint" --fake-credentials --from latest --count "$count"
