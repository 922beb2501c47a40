#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), builds albatross, and runs every test suite:
# the Release build, then the same tests under ASan+UBSan and under TSan, then a short bounded
# run of each libFuzzer target (tests/fuzz/run.sh, clang). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build ccache pkg-config libboost1.81-all-dev libssl-dev
          libtomlplusplus-dev prometheus-cpp-dev doctest-dev curl wrk clang-14 clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc)
run_suite() {  # name build-dir cmake-args...
  local name=$1 dir=$2
  shift 2
  echo "== $name: configure and build ($dir)"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  echo "== $name: tests"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
}

start=$(date +%s)
run_suite release build -DCMAKE_BUILD_TYPE=Release
run_suite asan-ubsan build-asan -DCMAKE_BUILD_TYPE=Debug -DALBATROSS_SANITIZE=address
run_suite tsan build-tsan -DCMAKE_BUILD_TYPE=Debug -DALBATROSS_SANITIZE=thread
echo "== fuzz: bounded runs"
bash tests/fuzz/run.sh 15
echo "== all suites passed in $(( $(date +%s) - start ))s"
