#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, in build-fuzz) and runs each for a bounded
# time from its seed corpus in tests/fuzz/corpus/<target>. Inputs the run discovers go to a
# scratch directory, never into the seeds; a crash leaves its reproducer in build-fuzz/crashes/
# and fails the run. Prints each target's executions and coverage (libFuzzer's cov/ft).
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (defaults: 20, every target)
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-20}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(request_fuzzer response_fuzzer config_fuzzer sticky_cookie_fuzzer)
declare -A dict=([request_fuzzer]=http.dict [response_fuzzer]=http.dict
                 [config_fuzzer]=config.dict [sticky_cookie_fuzzer]=)

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ \
      -DALBATROSS_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$(nproc)"
mkdir -p build-fuzz/crashes

status=0
for target in "${targets[@]}"; do
  scratch=$(mktemp -d)
  log=build-fuzz/$target.log
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix=build-fuzz/crashes/"$target"-)
  [[ -n "${dict[$target]}" ]] && args+=(-dict=tests/fuzz/"${dict[$target]}")
  if ! build-fuzz/tests/fuzz/"$target" "${args[@]}" "$scratch" tests/fuzz/corpus/"$target" \
       >"$log" 2>&1; then
    echo "== fuzz $target: FAILED (reproducer in build-fuzz/crashes/); last lines of $log:"
    tail -40 "$log"
    status=1
  fi
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)
  runs=$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  echo "== fuzz $target: ${runs:-?} executions in ${seconds}s; ${done_line:-no DONE line}"
  rm -rf "$scratch"
done
exit $status
