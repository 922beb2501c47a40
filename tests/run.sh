#!/usr/bin/env bash
# Installs what is missing (Debian 12, as root), builds albatross, and runs every test suite:
# the Release build, then the same tests under ASan+UBSan and under TSan, then a short bounded
# run of each libFuzzer target (tests/fuzz/run.sh, clang). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build ccache pkg-config libboost1.81-all-dev libssl-dev
          libtomlplusplus-dev prometheus-cpp-dev doctest-dev curl wrk clang-14 clang libclang-rt-14-dev
          chromium chromium-driver python3-selenium lintian dpkg-dev adduser dnsmasq-base)
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

# The Debian package from the Release build: lintian (no error, no warning), installed with dpkg,
# its conffile checked as the albatross user, then purged. Refuses to run where albatross is
# already installed, so it never touches an operator's package.
package_check() {
  echo "== package: cpack, lintian, install, --check, purge"
  if dpkg-query -W -f='${Status}' albatross 2>/dev/null | grep -q "installed"; then
    echo "albatross is installed on this machine: not touching it" >&2
    return 1
  fi
  rm -f build/albatross_*.deb
  (cd build && cpack -G DEB >/dev/null)
  local deb
  deb=$(ls build/albatross_*.deb)
  lintian --fail-on error,warning "$deb"
  local had_user=0
  getent passwd albatross >/dev/null && had_user=1
  dpkg -i "$deb"
  test "$(stat -c '%U:%G %a' /etc/albatross/albatross.toml)" = "root:albatross 640"
  test "$(stat -c '%U:%G %a' /etc/albatross/sticky.key)" = "albatross:albatross 600"
  setpriv --reuid=albatross --regid=albatross --init-groups \
    albatross --check --config /etc/albatross/albatross.toml
  dpkg --purge albatross
  test ! -e /etc/albatross && test ! -e /usr/bin/albatross && test ! -e /var/log/albatross
  # postrm keeps the system user (Debian policy); one this run created goes again.
  if ((had_user == 0)) && getent passwd albatross >/dev/null; then
    deluser --system albatross >/dev/null
    getent group albatross >/dev/null && delgroup --system albatross >/dev/null
  fi
  echo "== package: OK ($deb)"
}

start=$(date +%s)
run_suite release build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr
package_check
run_suite asan-ubsan build-asan -DCMAKE_BUILD_TYPE=Debug -DALBATROSS_SANITIZE=address
run_suite tsan build-tsan -DCMAKE_BUILD_TYPE=Debug -DALBATROSS_SANITIZE=thread
echo "== fuzz: bounded runs"
bash tests/fuzz/run.sh 15
echo "== all suites passed in $(( $(date +%s) - start ))s"
