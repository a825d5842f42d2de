#!/usr/bin/env bash
# The whole test suite, as README and CI run it: installs the test dependencies, then builds every
# module and runs unit tests (surefire) and integration tests (failsafe, *IT) against real clients,
# real files, the real KPL daemon and a local Kinesis emulator on 127.0.0.1; before them, the
# Lambda router example's npm tests (examples/lambda-router, docs/pipeline.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/install-test-deps.sh
# the Lambda router example's own tests (kinesalite and s3rver in-process, on 127.0.0.1), bounded
(cd examples/lambda-router && timeout 600 npm test)
exec ./mvnw -B verify "$@"
