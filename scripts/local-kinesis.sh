#!/usr/bin/env bash
# A local Kinesis for development: kinesalite over TLS on 127.0.0.1 (tools/node/kinesalite-server.js)
# with a self-signed certificate made by openssl. State lives in run/local-kinesis/ (git-ignored);
# stream data survives stop/start.
#
#   scripts/local-kinesis.sh start [--port 4567] [--fail-share F]   start (idempotent); prints the endpoint
#   scripts/local-kinesis.sh stop                                   stop it (data kept)
#   scripts/local-kinesis.sh status                                 print the endpoint, or exit 1
#   scripts/local-kinesis.sh create-stream NAME [SHARDS]            create a stream (default 1 shard)
#   scripts/local-kinesis.sh reset                                  stop and delete all data
#
# Point the aggregator at it with `endpoint https://127.0.0.1:PORT`, `ssl_verify_peer false`, fake
# `aws_key_id`/`aws_sec_key`, and read a stream back with `kinesis-aggregator tail --endpoint ...`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/run/local-kinesis"
pidfile="$dir/pid"
portfile="$dir/port"

log() { printf '[local-kinesis] %s\n' "$*" >&2; }

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null && grep -q kinesalite-server "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
  else
    return 1
  fi
}

endpoint() { echo "https://127.0.0.1:$(cat "$portfile")"; }

ensure_cert() {
  if [ ! -f "$dir/cert.pem" ] || ! openssl x509 -checkend 86400 -noout -in "$dir/cert.pem" >/dev/null 2>&1; then
    log "generating a self-signed certificate for 127.0.0.1 in $dir"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" -subj "/CN=localhost" \
      -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1
  fi
}

start() {
  local port=4567 fail_share=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --port) port=$2; shift 2 ;;
      --fail-share) fail_share=$2; shift 2 ;;
      *) log "unknown option: $1 (expected: --port N, --fail-share F)"; exit 2 ;;
    esac
  done
  mkdir -p "$dir/data"
  if running_pid >/dev/null; then
    endpoint
    return 0
  fi
  if [ ! -d "$root/tools/node/node_modules/kinesalite" ]; then
    log "npm ci in tools/node"
    # npm's report goes to stderr: stdout carries only the endpoint (callers capture it)
    (cd "$root/tools/node" && npm ci --no-audit --no-fund --loglevel=error) >&2
  fi
  ensure_cert
  rm -f "$dir/listening"
  nohup node "$root/tools/node/kinesalite-server.js" --port "$port" --path "$dir/data" \
    --key "$dir/key.pem" --cert "$dir/cert.pem" --fail-share "$fail_share" \
    >"$dir/listening" 2>"$dir/server.log" </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if grep -q '"listening"' "$dir/listening" 2>/dev/null; then
      sed -E 's/.*"port":([0-9]+).*/\1/' "$dir/listening" >"$portfile"
      log "kinesalite listening (pid $(cat "$pidfile"), data in $dir/data)"
      endpoint
      return 0
    fi
    if ! running_pid >/dev/null; then break; fi
    sleep 0.1
  done
  log "kinesalite did not start; see $dir/server.log"
  cat "$dir/server.log" >&2 || true
  exit 1
}

stop() {
  local pid
  if pid=$(running_pid); then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    log "stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}

# kinesalite accepts any signature; a syntactically valid SigV4 header is enough.
call() {
  local target=$1 body=$2
  curl -sS --fail-with-body -k "$(endpoint)/" \
    -H "X-Amz-Target: Kinesis_20131202.$target" \
    -H 'Content-Type: application/x-amz-json-1.1' \
    -H 'X-Amz-Date: 20200101T000000Z' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=local' \
    -d "$body"
}

create_stream() {
  local name=${1:?stream name} shards=${2:-1}
  running_pid >/dev/null || { log "not running; run: $0 start"; exit 1; }
  if call DescribeStreamSummary "{\"StreamName\":\"$name\"}" >/dev/null 2>&1; then
    log "stream $name exists"
  else
    call CreateStream "{\"StreamName\":\"$name\",\"ShardCount\":$shards}" >/dev/null
    log "created stream $name ($shards shards)"
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  status) if running_pid >/dev/null; then endpoint; else log "not running"; exit 1; fi ;;
  create-stream) create_stream "$@" ;;
  reset) stop; rm -rf "$dir/data"; log "data deleted" ;;
  *) echo "usage: $0 start [--port N] [--fail-share F] | stop | status | create-stream NAME [SHARDS] | reset" >&2; exit 2 ;;
esac
