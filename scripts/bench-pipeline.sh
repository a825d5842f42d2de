#!/usr/bin/env bash
# Whole-pipeline benchmark: builds the distribution and bench, then runs
# org.kinesisaggregator.bench.e2e.PipelineBenchmark: bin/kinesis-aggregator as a child process,
# ForwardLoad sending with acks over loopback, sink null (file buffer → null output) or kinesis
# (file buffer → kinesis_streams_aggregated → KPL daemon → a null Kinesis in the bench JVM), e.g.
#   scripts/bench-pipeline.sh --sink null --events 2000000
#   scripts/bench-pipeline.sh --sink kinesis --events 2000000 --ack-durability write
# Figures go to BENCHMARKS.md (## pipeline).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
./mvnw -B -q package dependency:build-classpath -DskipTests -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=runtime -pl aggregator-server,bench -am
exec java -Xmx1g --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED \
  -Daws.cborEnabled=false -Dproject.root="$root" \
  -Dlogback.configurationFile="$root/bench/src/main/resources/logback-bench.xml" \
  -cp "bench/target/classes:$(cat "$cp_file")" org.kinesisaggregator.bench.e2e.PipelineBenchmark "$@"
