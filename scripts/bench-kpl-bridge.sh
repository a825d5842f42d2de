#!/usr/bin/env bash
# kpl-bridge benchmark: chunks -> KinesisOutput -> real KPL daemon -> null Kinesis or kinesalite.
# Builds bench (and what it needs), then runs org.kinesisaggregator.bench.kinesis.KplBridgeBenchmark
# with the arguments given, e.g.
#   scripts/bench-kpl-bridge.sh --target null --mode java --events 2000000
#   scripts/bench-kpl-bridge.sh --target kinesalite --mode kpl --events 100000
# Figures go to BENCHMARKS.md (## kpl-bridge).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ ! -d tools/node/node_modules/kinesalite ]; then
  (cd tools/node && npm ci --no-audit --no-fund --loglevel=error)
fi
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -B -q -pl bench -am package dependency:build-classpath -DskipTests -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime
exec java -Xmx1g -XX:+UseParallelGC \
  --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  -Daws.cborEnabled=false -Dproject.root="$root" \
  -Dlogback.configurationFile="$root/bench/src/main/resources/logback-bench.xml" \
  -cp "bench/target/classes:$(cat "$cp_file")" org.kinesisaggregator.bench.kinesis.KplBridgeBenchmark "$@"
