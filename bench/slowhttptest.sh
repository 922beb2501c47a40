#!/usr/bin/env bash
# Bounded slowhttptest runs (Debian package slowhttptest) against albatross on loopback, with
# the shipped defaults for every timeout (header_timeout 10s, body_timeout 30s, body_min_rate
# 500 B/s, idle_timeout 60s): slowloris (-H), slow body (-B) and slow read (-X), each for a fixed
# length while slowhttptest's own probe checks that the service stays available. Prints each
# run's final line and the albatross counters that show what ended the slow connections.
#   bench/slowhttptest.sh [BUILD_DIR (build)] [SECONDS_PER_RUN (90)] [CONNECTIONS (1000)] [ATTACK...]
# ATTACK: slowloris, slow-body, slow-read (default: all three).
# Environment (optional): SLOW_IDLE_TIMEOUT overrides the listener's idle_timeout (e.g. "20s", so
# that a run shorter than the default 60 s still sees slow readers cut off); SLOW_READ_BYTES is
# the response body size the slow readers ask for (262144: far beyond the 16 KiB of unsent data
# albatross lets the kernel hold per client, so every slow reader meets albatross's write
# timeout; and small enough that what the target's own sockets hold for 1,000 slow readers stays
# far below the host's tcp_mem limits, which 1 MiB each (1 GiB in the target's send buffers)
# comes near).
# Besides slowhttptest's own probe (the attacked URL, with -p 3), a side probe asks every second
# for `GET /` (13 bytes) through albatross and, directly, from the target, and samples both
# processes' CPU: it tells albatross being slow from the target or the machine being saturated.
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
target_pid=$!
idle_line=""
[[ -z ${SLOW_IDLE_TIMEOUT:-} ]] || idle_line="idle_timeout = \"$SLOW_IDLE_TIMEOUT\""
read_bytes=${SLOW_READ_BYTES:-262144}
cat >"$work/albatross.toml" <<EOF
[global]
threads = 2
admin = "127.0.0.1:$admin_port"
max_connections = 20000

[[listener]]
name = "web"
bind = "127.0.0.1:$web_port"
target_group = "app"
$idle_line

[[target_group]]
name = "app"
targets = ["127.0.0.1:$target_port"]
[target_group.health_check]
enabled = false
EOF
ulimit -n "$(ulimit -Hn)"
"$build"/albatross --config "$work/albatross.toml" 2>"$work/albatross.log" &
pids+=($!)
albatross_pid=$!
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

cpu_ticks() {  # utime+stime of a process, in clock ticks
  local stat
  stat=$(<"/proc/$1/stat")
  read -r -a f <<<"${stat##*) }"
  echo $((f[11] + f[12]))
}

# One line about every second until `seconds` have passed: seconds since the start, time to first
# byte through albatross and from the target directly (s; 10 = no answer within 10 s), the CPU
# share of albatross and of the target over that second, the pages of memory all TCP sockets
# of the host hold (/proc/net/sockstat; the kernel throttles every socket above tcp_mem's second
# value and refuses buffer memory above its third), and albatross's open client connections.
# The last is what shows slow readers cut off: slowhttptest notices a reset only once it has
# read, 16 bytes at a time, what its receive buffer still holds, which takes minutes.
side_probe() {  # seconds file
  local start=$SECONDS end=$((SECONDS + $1)) a0 t0 a1 t1 hz
  hz=$(getconf CLK_TCK)
  a0=$(cpu_ticks "$albatross_pid")
  t0=$(cpu_ticks "$target_pid")
  while ((SECONDS < end)); do
    local via direct
    via=$(curl -s -o /dev/null -m 10 -w '%{time_starttransfer}' "$base/" || echo 10)
    direct=$(curl -s -o /dev/null -m 10 -w '%{time_starttransfer}' \
      "http://127.0.0.1:$target_port/" || echo 10)
    sleep 1
    a1=$(cpu_ticks "$albatross_pid")
    t1=$(cpu_ticks "$target_pid")
    echo "$((SECONDS - start)) $via $direct $(((a1 - a0) * 100 / hz)) $(((t1 - t0) * 100 / hz))" \
      "$(awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat)" \
      "$(curl -s -m 2 "http://127.0.0.1:$admin_port/metrics" |
        awk '/^albatross_downstream_connections_active/ { n += $2 } END { print n + 0 }')"
    a0=$a1
    t0=$t1
  done >"$2"
}

run() {  # name slowhttptest-args...
  local name=$1
  shift
  echo "== $name: slowhttptest $* -c $connections -l $length"
  side_probe "$length" "$out/$name.probe" &
  local probe=$!
  pids+=("$probe")
  slowhttptest "$@" -c "$connections" -l "$length" -p 3 -g -o "$out/$name" \
    >"$out/$name.out" 2>&1 || true
  wait "$probe" || true
  awk -v limits="$(cat /proc/sys/net/ipv4/tcp_mem)" '{
      if ($6 > mem) mem = $6
      if ($7 > open_peak) { open_peak = $7; open_at = $1 }
      if (open_peak > 100 && $7 <= open_peak / 10 && dropped == "") dropped = $1
      if ($2 > via) { via = $2; via_at = $1 }
      if ($3 > direct) { direct = $3; direct_at = $1 }
      if ($2 >= 3) slow = slow " " $1
      cpu_a += $4; cpu_t += $5; if ($4 > max_a) max_a = $4; if ($5 > max_t) max_t = $5; n++
    }
    END {
      printf "side probe (GET /, %d s): slowest through albatross %.3f s (at %ss), from the target directly %.3f s (at %ss); >= 3 s through albatross at:%s\n",
             n, via, via_at, direct, direct_at, slow == "" ? " never" : slow
      if (n) printf "CPU (%% of one core): albatross mean %d max %d, target mean %d max %d\n",
                    cpu_a / n, max_a, cpu_t / n, max_t
      printf "albatross client connections: peak %d at %ss; down to a tenth of it at %ss\n",
             open_peak, open_at, dropped == "" ? "- (not within the run)" : dropped
      split(limits, l, " ")
      printf "TCP memory of the host: peak %d MiB (tcp_mem pressure at %d MiB, limit %d MiB)\n",
             mem * 4 / 1024, l[2] * 4 / 1024, l[3] * 4 / 1024
    }' "$out/$name.probe"
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
    slow-read) run slow-read -X -r 200 -k 10 -n 2 -w 16 -y 64 -z 16 -u "$base/bytes?n=$read_bytes" ;;
    *) echo "unknown attack $attack"; exit 2 ;;
  esac
done
