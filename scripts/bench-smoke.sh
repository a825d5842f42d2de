#!/usr/bin/env bash
# Every bench/run.sh scenario in its --smoke mode (seconds each; BENCHMARKS.md, "bench/run.sh: the
# scenarios"), as scripts/test.sh runs it after the tests. It fails when a scenario errors (a
# non-zero exit, or longer than its time limit), never on a figure: the figures are printed, not
# asserted. The peers run when $FLUENT_BIT / $FLUENTD name them and are skipped with the reason
# printed otherwise. Builds the distribution and the bench first (bench/run.sh; no install), unless
# BENCH_SKIP_BUILD=1 and a build is there (scripts/test.sh: right after ./mvnw verify, which writes
# bench/target/run.classpath too). Logs: bench/target/smoke/SCENARIO.log.
#   scripts/bench-smoke.sh [SCENARIO ...]      (default: all of them)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
logs=bench/target/smoke
start=$(date +%s)
# the build, and the scenario list from the source itself (so a new scenario is smoked too)
if ! all=$(bench/run.sh --list); then
  echo "[bench-smoke] the build or bench/run.sh --list failed" >&2
  exit 1
fi
mkdir -p "$logs"
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || read -r -d '' -a scenarios <<<"$all" || true
failed=()
for s in "${scenarios[@]}"; do
  t0=$(date +%s)
  if BENCH_SKIP_BUILD=1 timeout 300 bench/run.sh "$s" --smoke >"$logs/$s.log" 2>&1; then
    status=ok
  else
    status="FAILED (exit $?)"
    failed+=("$s")
  fi
  printf '[bench-smoke] %-18s %3d s  %s\n' "$s" $(( $(date +%s) - t0 )) "$status"
  grep -E '^(result|skipped|failed|soak-summary|raw-[a-z-]*|ratio|recovery|null-kinesis|null_kinesis):' "$logs/$s.log" | sed 's/^/    /' | cut -c1-200 || true
  if [ "$status" != ok ]; then
    tail -n 30 "$logs/$s.log" | sed 's/^/    | /'
  fi
done
echo "[bench-smoke] ${#scenarios[@]} scenarios in $(( $(date +%s) - start )) s (build included); failed: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
