#!/usr/bin/env bash
# Benchmark scenarios (BENCHMARKS.md): builds the distribution and bench, then runs
# org.kinesisaggregator.bench.run.Scenarios, which prints one "result:" line per measured run.
#   bench/run.sh SCENARIO [--smoke] [--connections 4,32,256] [--window 1,4] [--event-bytes 200,2048]
#                [--batch N] [--gzip] [--seconds S] [--minutes M] [--fluent-bit PATH] [--fluentd PATH] ...
# SCENARIO: ingest-fsync ingest-write ingest-memory ingest-file-out small-messages e2e-null-kinesis
#           e2e-emulator bridge-cost recovery soak raw-limits vs-peers vs-peers-kinesis
#           (bench/run.sh --list: the names; --help: all options)
# vs-peers and vs-peers-kinesis take Fluent Bit and Fluentd from --fluent-bit/--fluentd or
# $FLUENT_BIT/$FLUENTD (a peer that is absent is skipped with the reason printed); nothing of them is
# part of this project. scripts/bench-smoke.sh (the end of scripts/test.sh) runs every scenario --smoke.
# BENCH_SKIP_BUILD=1 reuses the last build (e.g. right after scripts/test.sh or a previous run).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cp_file=bench/target/run.classpath
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -s "$cp_file" ] \
    || [ ! -x aggregator-server/target/dist/kinesis-aggregator/bin/kinesis-aggregator ]; then
  ./mvnw -B -q package dependency:build-classpath -DskipTests -Dmdep.outputFile="$root/$cp_file" \
    -Dmdep.includeScope=runtime -pl aggregator-server,bench -am
fi
if [ "${1:-}" = e2e-emulator ] && [ ! -d tools/node/node_modules/kinesalite ]; then
  (cd tools/node && npm ci --no-audit --no-fund --loglevel=error)
fi
exec java -Xmx1g -XX:+UseParallelGC --add-opens java.base/java.nio=ALL-UNNAMED \
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED -Daws.cborEnabled=false -Dproject.root="$root" \
  -Dlogback.configurationFile="$root/bench/src/main/resources/logback-bench.xml" \
  -cp "bench/target/classes:$(cat "$cp_file")" org.kinesisaggregator.bench.run.Scenarios "$@"
