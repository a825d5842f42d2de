#!/usr/bin/env bash
# buffer-store benchmark: appends/s and MB/s into a file buffer (ack_durability fsync and write,
# 1 KiB and 64 KiB appends, 1-64 appenders), the raw disk's write+fdatasync speed measured in the same
# run, and the recovery time of a 2 GB buffer with half of it delivered. Figures go to BENCHMARKS.md
# (## buffer-store).
#   scripts/bench-buffer.sh [quick]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -B -q package dependency:build-classpath -DskipTests -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime -pl bench -am
exec java -Xmx2g --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  -Dlogback.configurationFile="$root/bench/src/main/resources/logback-bench.xml" \
  -cp "bench/target/classes:$(cat "$cp_file")" \
  org.kinesisaggregator.bench.buffer.BufferBenchmark bench/target/buffer-bench "$@"
