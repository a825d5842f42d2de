#!/usr/bin/env bash
# The whole test suite, as README and CI run it: installs the test dependencies, then builds every
# module and runs unit tests (surefire) and integration tests (failsafe, *IT) against real clients,
# real files, the real KPL daemon and a local Kinesis emulator on 127.0.0.1; before them, the
# Lambda router example's npm tests (examples/lambda-router, docs/pipeline.md); after them, every
# benchmark scenario of bench/run.sh in its seconds-long --smoke mode (scripts/bench-smoke.sh: fails
# when a scenario errors, asserts no figure; the peers are skipped unless $FLUENT_BIT/$FLUENTD).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-test-deps.sh
# the Lambda router example's own tests (kinesalite and s3rver in-process, on 127.0.0.1), bounded
(cd examples/lambda-router && timeout 600 npm test)
./mvnw -B verify "$@"
# verify just built the distribution and the bench (and bench/target/run.classpath): no second build
exec env BENCH_SKIP_BUILD=1 scripts/bench-smoke.sh
