#!/usr/bin/env bash
# Bounded slowhttptest runs (Debian package slowhttptest) against albatross on loopback, with
# the shipped defaults for every timeout (header_timeout 10s, body_timeout 30s, body_min_rate
# 500 B/s, idle_timeout 60s): slowloris (-H), slow body (-B) and slow read (-X), each for a fixed
# length while slowhttptest's own probe checks that the service stays available. Prints each
# run's final line and the albatross counters that show what ended the slow connections.
#   bench/slowhttptest.sh [BUILD_DIR (build)] [SECONDS_PER_RUN (90)] [CONNECTIONS (1000)] [ATTACK...]
# ATTACK: slowloris, slow-body, slow-read (default: all three).
# Everything listens on 127.0.0.1 and is stopped (by PID) at the end. slowhttptest's full
# output and its CSV/HTML statistics go to $OUT (default: a temporary directory, removed).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
length=${2:-90}
connections=${3:-1000}
shift $(($# < 3 ? $# : 3))
attacks=("$@")
((${#attacks[@]})) || attacks=(slowloris slow-body slow-read)
command -v slowhttptest >/dev/null || { echo "needs slowhttptest (apt-get install slowhttptest)"; exit 2; }
[[ -x $build/albatross && -x $build/albatross-demo-target ]] || { echo "build $build first"; exit 2; }

work=$(mktemp -d)
out=${OUT:-$work}
mkdir -p "$out"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Ports: one free port each for the target, albatross and its admin endpoint.
read -r target_port web_port admin_port < <(python3 -c '
import socket
s=[socket.socket() for _ in range(3)]
for x in s: x.bind(("127.0.0.1",0))
print(*[x.getsockname()[1] for x in s])')

"$build"/albatross-demo-target "app=127.0.0.1:$target_port" 2>"$work/target.log" &
pids+=($!)
cat >"$work/albatross.toml" <<EOF
[global]
threads = 2
admin = "127.0.0.1:$admin_port"
max_connections = 20000

[[listener]]
name = "web"
bind = "127.0.0.1:$web_port"
target_group = "app"

[[target_group]]
name = "app"
targets = ["127.0.0.1:$target_port"]
[target_group.health_check]
enabled = false
EOF
ulimit -n "$(ulimit -Hn)"
"$build"/albatross --config "$work/albatross.toml" 2>"$work/albatross.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q " started: " "$work/albatross.log" 2>/dev/null && break
  sleep 0.1
done
grep -q " started: " "$work/albatross.log" || { cat "$work/albatross.log"; exit 1; }

metrics() {
  curl -s "http://127.0.0.1:$admin_port/metrics" |
    grep -E '^albatross_(generated_responses_total|downstream_connections_(active|total))' |
    grep -v ' 0$' || true
}

run() {  # name slowhttptest-args...
  local name=$1
  shift
  echo "== $name: slowhttptest $* -c $connections -l $length"
  slowhttptest "$@" -c "$connections" -l "$length" -p 3 -g -o "$out/$name" \
    >"$out/$name.out" 2>&1 || true
  # How it ended, and from its per-second CSV (Seconds,Closed,Pending,Connected,Service
  # Available): the peak of connections held open, when albatross began closing them, how
  # many were closed by the last row, and the seconds at which slowhttptest's probe found the
  # service unavailable (none expected).
  sed 's/\x1b\[[0-9;]*m//g' "$out/$name.out" | grep -E "^(Test ended|Exit status|Error)" || true
  awk -F, 'NR > 1 {
      if ($4 + 0 > peak) { peak = $4 + 0; at = $1 }
      if ($2 + 0 > 0 && first == "") first = $1
      closed = $2 + 0; last = $1
      if ($5 + 0 == 0) down = down " " $1
    }
    END {
      printf "peak %d open at %ss; first closed at %ss; %d closed by %ss; probe unavailable at:%s\n",
             peak, at, first == "" ? "-" : first, closed, last, down == "" ? " never" : down
    }' "$out/$name.csv" 2>/dev/null || echo "no statistics (see $out/$name.out)"
  metrics
}

base=http://127.0.0.1:$web_port
for attack in "${attacks[@]}"; do
  case $attack in
    slowloris) run slowloris -H -r 200 -i 5 -u "$base/" ;;
    slow-body) run slow-body -B -r 200 -i 5 -s 100000 -u "$base/upload" ;;
    slow-read) run slow-read -X -r 200 -k 10 -n 2 -w 16 -y 64 -z 16 -u "$base/bytes?n=1048576" ;;
    *) echo "unknown attack $attack"; exit 2 ;;
  esac
done
