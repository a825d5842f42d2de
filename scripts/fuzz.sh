#!/usr/bin/env bash
# Bounded coverage-guided fuzzing (Jazzer) of every fuzz target, as CI runs it after the tests:
#   scripts/fuzz.sh [seconds-per-target]     (default 30)
# Each @FuzzTest class runs in its own JVM (surefire reuseForks=false: Jazzer fuzzes one target per
# JVM) with JAZZER_FUZZ=1 for the given time. A finding fails the script and prints the path of the
# input that triggered it (Jazzer writes it as crash-*/timeout-*/oom-* beside the target's committed
# corpus, so it runs in every build once committed). See docs/reliability.md, "Fuzzing".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-30}
targets=${FUZZ_TARGETS:-ForwardDecoderFuzzTest,CompressedEntriesFuzzTest,HandshakeFuzzTest,ConfParserFuzzTest}
stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT
echo "fuzz.sh: fuzzing each of ${targets//,/ } for ${seconds}s"
status=0
JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" ./mvnw -B test -pl aggregator-server -am \
    -Dtest="$targets" -Dsurefire.failIfNoSpecifiedTests=false -DreuseForks=false || status=$?
findings=$(find aggregator-server -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) \
    -newer "$stamp" -not -path '*/target/*' | sort)
if [[ -n "$findings" ]]; then
    echo "fuzz.sh: the fuzzer found inputs that fail a target (reproduce: ./mvnw test -pl aggregator-server -am -Dtest=<Class>):"
    echo "$findings" | sed 's/^/  /'
    exit 1
fi
if [[ $status -ne 0 ]]; then
    echo "fuzz.sh: the fuzzing run failed (exit $status) without writing a finding; see the output above"
    exit "$status"
fi
echo "fuzz.sh: no findings"
