#!/usr/bin/env bash
# The demo: installs what is missing (Debian 12, as root), builds albatross, starts three demo
# app servers on 127.0.0.1:9001-9003 and runs albatross in front of them with the shipped
# conf/albatross.toml (listening on :8080, admin on 127.0.0.1:9901). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build ccache pkg-config libboost1.81-all-dev libssl-dev
          libtomlplusplus-dev prometheus-cpp-dev doctest-dev curl)
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

echo "== building"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DALBATROSS_TESTS=OFF >/dev/null
cmake --build build -j "$(nproc)" --target albatross albatross-demo-target

build/albatross-demo-target app-1=127.0.0.1:9001 app-2=127.0.0.1:9002 app-3=127.0.0.1:9003 &
targets=$!
trap 'kill $targets 2>/dev/null; wait $targets 2>/dev/null || true' EXIT

cat <<'TRY'

== albatross is starting on :8080 in front of app-1..3 (127.0.0.1:9001-9003). Try, in another shell:
   curl -i http://127.0.0.1:8080/                       # round robin: X-Target rotates
   curl -c jar -b jar http://127.0.0.1:8080/            # stickiness: the same target every time
   curl -N "http://127.0.0.1:8080/sse?events=5&interval=500"   # Server-Sent Events, streamed
   curl -s http://127.0.0.1:8080/headers                # what the target sees (X-Forwarded-*)
   curl -s http://127.0.0.1:9901/metrics | grep albatross_requests_total
   curl -s http://127.0.0.1:9901/status                 # targets, health, drain state
   curl -X POST "http://127.0.0.1:9002/admin/ping?status=503"   # make app-2 fail its health checks
   kill -HUP $(pidof albatross)                         # reload conf/albatross.toml
Ctrl-C stops albatross and the demo targets.

TRY
build/albatross --config conf/albatross.toml
