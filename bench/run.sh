#!/usr/bin/env bash
# Compares albatross with HAProxy and NGINX on loopback: the same three demo targets, the same
# round-robin configuration, each proxy pinned to one core and wrk plus the targets to another.
# Prints a markdown table: req/s, p50/p99, proxy CPU per request (utime+stime of every thread,
# from /proc/PID/stat), requests per proxy-CPU-second, peak RSS (VmHWM from /proc/PID/status),
# errors, and albatross/HAProxy and albatross/NGINX ratios.
#
# Scenarios: keepalive (wrk -t1 -c64), close (the same with `Connection: close`), c2000
# (wrk -t1 -c2000, keep-alive). Every round runs every scenario on every proxy, the proxy order
# rotating per round. Each run starts the proxy afresh (so VmHWM is that run's peak), checks that
# it answers 200 from all three targets, loads it for BENCH_WARMUP seconds unmeasured, then
# BENCH_DURATION seconds measured. Rates and CPU are totals over the rounds, p50/p99 the median
# of the rounds, RSS the maximum. Errors are wrk's socket errors (connect, read, write, and
# responses slower than 5 s); non-2xx are counted apart.
#
#   bench/run.sh                       # defaults: 3 scenarios x 3 proxies x 2 rounds, ~2.5 min
#   BENCH_DURATION=10 BENCH_ROUNDS=3 bench/run.sh
#
# Environment (all optional):
#   BENCH_BUILD        build directory with albatross and albatross-demo-target (./build)
#   BENCH_DURATION     seconds per measured wrk run (5)
#   BENCH_WARMUP       seconds of unmeasured wrk load after each proxy start (1)
#   BENCH_ROUNDS       rounds; every round runs every proxy once per scenario (2)
#   BENCH_PROXIES      subset/order of "albatross haproxy nginx"
#   BENCH_SCENARIOS    subset/order of "keepalive close c2000"
#   BENCH_CONNECTIONS  connections for keepalive and close (64)
#   BENCH_MANY         connections for c2000 (2000)
#   BENCH_PROXY_CPU    core for the proxy under test (0)
#   BENCH_LOAD_CPU     core for wrk and the targets (1)
#   BENCH_PATH         request path ("/")
#   BENCH_RAW          file to write the per-run rows to (TSV), besides the table on stdout
#   BENCH_BASELINE     another albatross binary (e.g. a build of the previous commit): adds the
#                      proxy "albatross-base", same configuration, for before/after comparisons
#
# Kernel evidence per measured run (when nstat is installed): deltas of the TCP counters that
# show dropped or retried connection set-ups (ListenOverflows/ListenDrops: a full accept queue;
# TCPSynRetrans: SYNs and SYN-ACKs sent again, which cost 1 s, then 3 s, 7 s; TCPReqQFull*,
# SyncookiesSent: a full SYN queue; TCPTimeWaitOverflow), and the TIME_WAIT sockets present when
# the run starts (`ss -s`). The counters are per network namespace: anything else running in it
# adds to them.
# Profiling hooks (they slow the proxy down: numbers from such runs are not comparable):
#   BENCH_STRACE_DIR   attach `strace -c -f` to the proxy for each measured run; one summary
#                      file per run in this directory
#   BENCH_PERF_DIR     attach `perf record -e cpu-clock -g` to the proxy for each measured run
#                      (software clock: works where hardware counters are unavailable)
#   BENCH_ALBATROSS_PREFIX  words run before albatross, e.g. "valgrind --tool=callgrind
#                      --callgrind-out-file=/tmp/cg.%p" (its output appears when albatross exits)
#
# Every process it starts is stopped by PID on exit; traffic goes only to 127.0.0.1; every wait
# has a deadline and every wrk run a timeout, so the script ends by itself.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/build}
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-2}
BASELINE=${BENCH_BASELINE:-}
if [[ -n $BASELINE ]]; then
  PROXIES=${BENCH_PROXIES:-"albatross albatross-base haproxy nginx"}
else
  PROXIES=${BENCH_PROXIES:-"albatross haproxy nginx"}
fi
SCENARIOS=${BENCH_SCENARIOS:-"keepalive close c2000"}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
MANY=${BENCH_MANY:-2000}
PROXY_CPU=${BENCH_PROXY_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
REQUEST_PATH=${BENCH_PATH:-/}
RAW=${BENCH_RAW:-}
STRACE_DIR=${BENCH_STRACE_DIR:-}
PERF_DIR=${BENCH_PERF_DIR:-}
read -r -a ALBATROSS_PREFIX <<<"${BENCH_ALBATROSS_PREFIX:-}"
ADDR=127.0.0.1

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

#-------------------------------------------------------------------------------------------------
# Preconditions

for bin in albatross albatross-demo-target; do
  [[ -x $BUILD/$bin ]] || die "$BUILD/$bin missing; build it with:
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build -j2 albatross albatross-demo-target"
done
[[ -z $STRACE_DIR ]] || command -v strace >/dev/null || die "strace not found"
[[ -z $PERF_DIR ]] || command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
[[ -z $STRACE_DIR || -z $PERF_DIR ]] || die "BENCH_STRACE_DIR and BENCH_PERF_DIR exclude each other"
for tool in wrk taskset curl ss; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
HAVE_NSTAT=0
if command -v nstat >/dev/null; then HAVE_NSTAT=1; else log "nstat not found (iproute2): no kernel counters"; fi
for p in $PROXIES; do
  case $p in
    albatross) ;;
    albatross-base) [[ -x $BASELINE ]] || die "albatross-base needs BENCH_BASELINE=/path/to/albatross" ;;
    haproxy | nginx) command -v "$p" >/dev/null || die "$p not found (apt-get install $p)" ;;
    *) die "unknown proxy $p" ;;
  esac
done
for s in $SCENARIOS; do
  case $s in keepalive | close | c2000) ;; *) die "unknown scenario $s" ;; esac
done
[[ $DURATION =~ ^[0-9]+$ && $DURATION -ge 1 && $DURATION -le 600 ]] || die "BENCH_DURATION 1..600"
[[ $WARMUP =~ ^[0-9]+$ && $WARMUP -le 60 ]] || die "BENCH_WARMUP 0..60"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 20 ]] || die "BENCH_ROUNDS 1..20"
if [[ $(nproc) -lt 2 && $PROXY_CPU != "$LOAD_CPU" ]]; then
  die "need 2 cores (or set BENCH_PROXY_CPU=BENCH_LOAD_CPU)"
fi

# wrk -c2000 and the proxies need a descriptor per connection, and the proxies two.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[[ $(ulimit -n) -ge $((2 * MANY + 100)) ]] || die "ulimit -n $(ulimit -n) too low for $MANY connections"

CLK_TCK=$(getconf CLK_TCK)

#-------------------------------------------------------------------------------------------------
# Processes we own: stopped by PID on any exit.

WORK=$(mktemp -d /tmp/albatross-bench.XXXXXX)
PIDS=()

stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || {
    wait "$pid" 2>/dev/null || true
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
  local keep=() p
  for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS=("${keep[@]}")
}

# Waits until something accepts on ADDR:port, or fails after 30 s (valgrind starts slowly).
wait_port() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 600; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/$ADDR/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  return 1
}

# Seven free consecutive ports below the ephemeral range.
pick_ports() {
  local base i busy
  for ((i = 0; i < 50; i++)); do
    base=$((20000 + RANDOM % 10000))
    busy=$(ss -Htan "( sport >= :$base and sport <= :$((base + 6)) )" | wc -l)
    if [[ $busy -eq 0 ]]; then
      echo "$base"
      return 0
    fi
  done
  return 1
}

BASE=$(pick_ports) || die "no free ports"
TARGET_PORTS=("$BASE" "$((BASE + 1))" "$((BASE + 2))")
TARGET_NAMES=(a b c)
declare -A PORT=([albatross]=$((BASE + 3)) [haproxy]=$((BASE + 4)) [nginx]=$((BASE + 5))
  [albatross-base]=$((BASE + 6)))

#-------------------------------------------------------------------------------------------------
# Configurations: one worker thread, round robin over the same three targets, no health checks,
# no access log, connect 10 s, client idle 60 s, header 10 s, response 120 s, upstream keep-alive
# with up to 1024 idle connections per target, X-Forwarded-For/-Proto/-Port and a request id
# added to every request (what albatross always does).

write_configs() {
  local t
  {
    cat <<EOF
[global]
threads = 1
admin = ""
shutdown_timeout = "1s"

[[listener]]
name = "bench"
bind = "$ADDR:${PORT[albatross]}"
target_group = "demo"
idle_timeout = "60s"
header_timeout = "10s"

[[target_group]]
name = "demo"
algorithm = "round_robin"
targets = [$(for t in "${TARGET_PORTS[@]}"; do printf '"%s:%s",' "$ADDR" "$t"; done | sed 's/,$//')]
connect_timeout = "10s"
response_timeout = "120s"
keepalive_timeout = "4s"
max_idle_connections = 1024
[target_group.health_check]
enabled = false
EOF
  } >"$WORK/albatross.toml"
  sed "s/^bind = .*/bind = \"$ADDR:${PORT[albatross-base]}\"/" "$WORK/albatross.toml" >"$WORK/albatross-base.toml"

  {
    cat <<EOF
global
    nbthread 1
    maxconn 9000
    pidfile $WORK/haproxy.pid

defaults
    mode http
    maxconn 9000
    balance roundrobin
    http-reuse always
    option http-keep-alive
    option forwardfor
    timeout connect 10s
    timeout client 60s
    timeout http-request 10s
    timeout http-keep-alive 60s
    timeout server 120s

frontend bench
    bind $ADDR:${PORT[haproxy]} backlog 4096
    http-request set-header X-Forwarded-Proto http
    http-request set-header X-Forwarded-Port %[dst_port]
    unique-id-format %{+X}o%ci%cp%fi%fp%Ts%rt%pid
    unique-id-header X-Request-Id
    default_backend demo

backend demo
    default-server pool-max-conn 1024 pool-purge-delay 4s
EOF
    for i in 0 1 2; do
      echo "    server ${TARGET_NAMES[$i]} $ADDR:${TARGET_PORTS[$i]}"
    done
  } >"$WORK/haproxy.cfg"

  mkdir -p "$WORK/nginx"
  {
    cat <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events {
    worker_connections 9000;
}
http {
    access_log off;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    keepalive_timeout 60s;
    keepalive_requests 1000000;
    client_header_timeout 10s;
    upstream demo {
EOF
    for t in "${TARGET_PORTS[@]}"; do echo "        server $ADDR:$t;"; done
    cat <<EOF
        keepalive 3072;
        keepalive_timeout 4s;
        keepalive_requests 1000000;
    }
    server {
        listen $ADDR:${PORT[nginx]} backlog=4096;
        location / {
            proxy_pass http://demo;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Forwarded-Port \$server_port;
            proxy_set_header X-Request-Id \$request_id;
            proxy_connect_timeout 10s;
            proxy_read_timeout 120s;
            proxy_send_timeout 60s;
        }
    }
}
EOF
  } >"$WORK/nginx.conf"

  # Machine-readable wrk summary; defining only done() keeps wrk's static-request fast path.
  cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
EOF
}

#-------------------------------------------------------------------------------------------------
# Starting and measuring one proxy

PROXY_PID=""

start_proxy() {
  local proxy=$1
  case $proxy in
    albatross)
      taskset -c "$PROXY_CPU" "${ALBATROSS_PREFIX[@]}" "$BUILD/albatross" --config "$WORK/albatross.toml" \
        >>"$WORK/albatross.log" 2>&1 &
      ;;
    albatross-base)
      taskset -c "$PROXY_CPU" "$BASELINE" --config "$WORK/albatross-base.toml" \
        >>"$WORK/albatross-base.log" 2>&1 &
      ;;
    haproxy)
      taskset -c "$PROXY_CPU" haproxy -db -f "$WORK/haproxy.cfg" >>"$WORK/haproxy.log" 2>&1 &
      ;;
    nginx)
      taskset -c "$PROXY_CPU" nginx -p "$WORK/nginx" -c "$WORK/nginx.conf" \
        >>"$WORK/nginx.log" 2>&1 &
      ;;
  esac
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  if ! wait_port "${PORT[$proxy]}" "$PROXY_PID"; then
    tail -n 20 "$WORK/$proxy.log" >&2 || true
    die "$proxy did not start listening on $ADDR:${PORT[$proxy]}"
  fi
}

stop_proxy() {
  stop_pid "$PROXY_PID"
  forget_pid "$PROXY_PID"
  PROXY_PID=""
}

# "utime stime" of the whole process (every thread), in clock ticks.
cpu_ticks() {
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }
  read -r -a f <<<"$rest"
  echo "${f[11]} ${f[12]}"
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Absolute values of the kernel counters, in this order (see the header), without touching
# nstat's history file.
NSTAT_KEYS=(TcpExtListenOverflows TcpExtListenDrops TcpExtTCPSynRetrans TcpExtTCPReqQFullDrop
  TcpExtTCPReqQFullDoCookies TcpExtSyncookiesSent TcpExtTCPTimeWaitOverflow)
kernel_counters() {
  if [[ $HAVE_NSTAT == 0 ]]; then
    echo "0 0 0 0 0 0 0"
    return
  fi
  nstat -asz 2>/dev/null | awk -v keys="${NSTAT_KEYS[*]}" '
    BEGIN { n = split(keys, k, " "); for (i = 1; i <= n; i++) at[k[i]] = i }
    ($1 in at) { v[at[$1]] = $2 }
    END { for (i = 1; i <= n; i++) printf "%s%d", (i > 1 ? " " : ""), v[i] + 0; print "" }'
}

time_wait_sockets() { ss -s | awk '/^TCP:/ { for (i = 1; i <= NF; i++) if ($i == "timewait") print $(i + 1) + 0 }'; }

wrk_args() {
  case $1 in
    keepalive) echo "-t1 -c$CONNECTIONS" ;;
    close) echo "-t1 -c$CONNECTIONS" ;;
    c2000) echo "-t1 -c$MANY" ;;
  esac
}

run_wrk() {  # scenario seconds port [extra wrk args]
  local scenario=$1 seconds=$2 port=$3
  local -a args
  read -r -a args <<<"$(wrk_args "$scenario")"
  if [[ $scenario == close ]]; then args+=(-H "Connection: close"); fi
  timeout -k 5 $((seconds + 30)) taskset -c "$LOAD_CPU" \
    wrk "${args[@]}" -d"${seconds}s" --timeout 5s --latency -s "$WORK/report.lua" \
    "http://$ADDR:$port$REQUEST_PATH"
}

# Checks that the proxy answers 200 and spreads requests over all three targets.
check_round_robin() {
  local proxy=$1 i seen=""
  for ((i = 0; i < 6; i++)); do
    local headers
    headers=$(curl -sS -m 5 -o /dev/null -D - "http://$ADDR:${PORT[$proxy]}$REQUEST_PATH") ||
      die "$proxy: request failed"
    [[ $headers == HTTP/1.1\ 200* ]] || die "$proxy: unexpected response: ${headers%%$'\r'*}"
    seen+=$(printf '%s' "$headers" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-target" { print $2 }')
  done
  for name in "${TARGET_NAMES[@]}"; do
    [[ $seen == *$name* ]] || die "$proxy: target $name never answered (saw '$seen')"
  done
}

# One measured run: fresh proxy (so VmHWM is this run's peak), warm-up, measured wrk run.
measure() {
  local proxy=$1 scenario=$2 round=$3 out
  start_proxy "$proxy"
  check_round_robin "$proxy"
  if [[ $WARMUP -gt 0 ]]; then run_wrk "$scenario" "$WARMUP" "${PORT[$proxy]}" >/dev/null; fi
  local strace_pid=""
  if [[ -n $STRACE_DIR ]]; then
    mkdir -p "$STRACE_DIR"
    strace -c -f -p "$PROXY_PID" -o "$STRACE_DIR/$proxy-$scenario-$round.txt" 2>/dev/null &
    strace_pid=$!
    PIDS+=("$strace_pid")
    local i
    for ((i = 0; i < 200; i++)); do  # the run starts once strace is attached (10 s at most)
      [[ $(status_kb "$PROXY_PID" TracerPid) != 0 ]] && break
      sleep 0.05
    done
  fi
  local perf_pid=""
  if [[ -n $PERF_DIR ]]; then
    mkdir -p "$PERF_DIR"
    perf record -q -e cpu-clock -F 2000 -g -p "$PROXY_PID" \
      -o "$PERF_DIR/$proxy-$scenario-$round.data" >/dev/null 2>&1 &
    perf_pid=$!
    PIDS+=("$perf_pid")
  fi
  local user0 sys0 user1 sys1 tuser0 tsys0 tuser1 tsys1 time_wait
  local -a k0 k1
  time_wait=$(time_wait_sockets)
  read -r -a k0 <<<"$(kernel_counters)"
  read -r user0 sys0 <<<"$(cpu_ticks "$PROXY_PID")"
  read -r tuser0 tsys0 <<<"$(cpu_ticks "$TARGETS_PID")"
  out=$(run_wrk "$scenario" "$DURATION" "${PORT[$proxy]}") || die "wrk failed for $proxy/$scenario"
  read -r user1 sys1 <<<"$(cpu_ticks "$PROXY_PID")"
  read -r tuser1 tsys1 <<<"$(cpu_ticks "$TARGETS_PID")"
  read -r -a k1 <<<"$(kernel_counters)"
  local overflows=$((k1[0] - k0[0])) drops=$((k1[1] - k0[1])) syn_retrans=$((k1[2] - k0[2]))
  local syn_queue_full=$((k1[3] - k0[3] + k1[4] - k0[4] + k1[5] - k0[5])) tw_overflow=$((k1[6] - k0[6]))
  if [[ -n $strace_pid ]]; then
    kill -INT "$strace_pid" 2>/dev/null || true
    wait "$strace_pid" 2>/dev/null || true
    forget_pid "$strace_pid"
  fi
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    forget_pid "$perf_pid"
  fi
  local user_us=$(((user1 - user0) * 1000000 / CLK_TCK)) sys_us=$(((sys1 - sys0) * 1000000 / CLK_TCK))
  local target_us=$(((tuser1 + tsys1 - tuser0 - tsys0) * 1000000 / CLK_TCK))
  local hwm threads
  hwm=$(status_kb "$PROXY_PID" VmHWM)
  threads=$(status_kb "$PROXY_PID" Threads)
  stop_proxy
  local line
  line=$(grep '^BENCH ' <<<"$out") || die "no wrk summary for $proxy/$scenario"
  local -A v=()
  local kv
  for kv in ${line#BENCH }; do v[${kv%%=*}]=${kv#*=}; done
  local errors=$((v[connect] + v[read] + v[write] + v[timeout]))
  printf '%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n' \
    "$proxy" "$scenario" "$round" \
    "${v[requests]}" "${v[duration_us]}" "${v[p50_us]}" "${v[p99_us]}" \
    $((user_us + sys_us)) "$hwm" "$errors" "${v[status]}" "$user_us" "$sys_us" "$target_us" \
    "$overflows" "$drops" "$syn_retrans" "$syn_queue_full" "$tw_overflow" "$time_wait"
  log "$(printf '%-9s %-9s round %d: %d req in %d us, proxy cpu %d us (user %d), targets cpu %d us, hwm %s kB, threads %s, errors %d (connect %d read %d write %d timeout %d), non-2xx %d' \
    "$proxy" "$scenario" "$round" "${v[requests]}" "${v[duration_us]}" \
    $((user_us + sys_us)) "$user_us" "$target_us" "$hwm" "$threads" "$errors" \
    "${v[connect]}" "${v[read]}" "${v[write]}" "${v[timeout]}" "${v[status]}")"
  log "$(printf '%-9s %-9s round %d: kernel: listen overflows %d drops %d, SYN retransmits %d, SYN queue full %d, TIME_WAIT overflow %d, TIME_WAIT at start %d' \
    "$proxy" "$scenario" "$round" "$overflows" "$drops" "$syn_retrans" "$syn_queue_full" "$tw_overflow" "$time_wait")"
}

#-------------------------------------------------------------------------------------------------
# Main

write_configs
"$BUILD/albatross" --check --config "$WORK/albatross.toml" >/dev/null || die "albatross config rejected"
if [[ " $PROXIES " == *" haproxy "* ]]; then haproxy -c -q -f "$WORK/haproxy.cfg" || die "haproxy config rejected"; fi

target_args=()
for i in 0 1 2; do target_args+=("${TARGET_NAMES[$i]}=$ADDR:${TARGET_PORTS[$i]}"); done
taskset -c "$LOAD_CPU" "$BUILD/albatross-demo-target" "${target_args[@]}" >"$WORK/targets.log" 2>&1 &
TARGETS_PID=$!
PIDS+=("$TARGETS_PID")
for t in "${TARGET_PORTS[@]}"; do wait_port "$t" "$TARGETS_PID" || die "demo targets did not start"; done

read -r -a proxy_list <<<"$PROXIES"
ROWS=$WORK/rows.tsv
: >"$ROWS"
log "ports: targets ${TARGET_PORTS[*]}, albatross ${PORT[albatross]}, haproxy ${PORT[haproxy]}, nginx ${PORT[nginx]}"
log "proxy on core $PROXY_CPU, wrk and targets on core $LOAD_CPU; $ROUNDS round(s) of ${DURATION}s runs"
for ((round = 1; round <= ROUNDS; round++)); do
  for scenario in $SCENARIOS; do
    # Rotate the proxy order each round so no proxy always runs first or last.
    n=${#proxy_list[@]}
    for ((k = 0; k < n; k++)); do
      proxy=${proxy_list[$(((k + round - 1) % n))]}
      measure "$proxy" "$scenario" "$round" >>"$ROWS"
    done
  done
done
[[ -n $RAW ]] && cp "$ROWS" "$RAW"

#-------------------------------------------------------------------------------------------------
# Report: totals over rounds for rates and CPU, median over rounds for percentiles, max for RSS.

awk -F'\t' -v proxies="$PROXIES" -v scenarios="$SCENARIOS" -v conns="$CONNECTIONS" -v many="$MANY" '
function median(list,   a, n, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "n/a" }
{
  k = $1 SUBSEP $2
  req[k] += $4; dur[k] += $5; cpu[k] += $8; err[k] += $10; non2xx[k] += $11; usr[k] += $12; sys[k] += $13
  p50[k] = p50[k] " " $6; p99[k] = p99[k] " " $7
  ovf[k] += $15; drp[k] += $16; synr[k] += $17; synq[k] += $18; twovf[k] += $19
  if ($20 > tw[k]) tw[k] = $20
  if ($9 > hwm[k]) hwm[k] = $9
  runs[k]++
}
END {
  label["keepalive"] = "keep-alive, " conns " conn"
  label["close"] = "Connection: close, " conns " conn"
  label["c2000"] = "keep-alive, " many " conn"
  np = split(proxies, P, " "); ns = split(scenarios, S, " ")
  print "| scenario | proxy | req/s | p50 ms | p99 ms | proxy CPU µs/req (user+sys) | req per proxy-CPU-s | peak RSS MiB | errors | non-2xx |"
  print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (s = 1; s <= ns; s++) {
    for (p = 1; p <= np; p++) {
      k = P[p] SUBSEP S[s]
      if (!runs[k]) continue
      rps[k] = req[k] / (dur[k] / 1e6)
      cpr[k] = cpu[k] / req[k]
      rpc[k] = req[k] / (cpu[k] / 1e6)
      m50[k] = median(p50[k]) / 1000; m99[k] = median(p99[k]) / 1000
      printf "| %s | %s | %.0f | %.2f | %.2f | %.1f (%.1f+%.1f) | %.0f | %.1f | %d | %d |\n", label[S[s]], P[p], rps[k], m50[k], m99[k], cpr[k], usr[k] / req[k], sys[k] / req[k], rpc[k], hwm[k] / 1024, err[k], non2xx[k]
    }
  }
  print ""
  print "| scenario | ratio | req/s | p50 | p99 | req per proxy-CPU-s | peak RSS |"
  print "|---|---|---:|---:|---:|---:|---:|"
  for (s = 1; s <= ns; s++) {
    a = "albatross" SUBSEP S[s]
    if (!runs[a]) continue
    for (p = 1; p <= np; p++) {
      if (P[p] == "albatross") continue
      b = P[p] SUBSEP S[s]
      if (!runs[b]) continue
      name = P[p] == "haproxy" ? "HAProxy" : (P[p] == "nginx" ? "NGINX" : P[p])
      printf "| %s | albatross/%s | %s | %s | %s | %s | %s |\n", label[S[s]], name, ratio(rps[a], rps[b]), ratio(m50[a], m50[b]), ratio(m99[a], m99[b]), ratio(rpc[a], rpc[b]), ratio(hwm[a], hwm[b])
    }
  }
  # The goal: >= 0.8x HAProxy requests per proxy-CPU-second (keep-alive and close) with no
  # errors, and peak RSS at many connections within 2x HAProxy.
  print ""
  verdict = ""
  for (s = 1; s <= ns; s++) {
    a = "albatross" SUBSEP S[s]; b = "haproxy" SUBSEP S[s]
    if (!runs[a] || !runs[b]) continue
    ok = err[a] == 0 && non2xx[a] == 0
    if (S[s] != "c2000") {
      r = rpc[a] / rpc[b]
      printf "- %s: albatross/HAProxy req per proxy-CPU-s = %.2f (goal >= 0.80), albatross errors %d: %s\n", label[S[s]], r, err[a] + non2xx[a], (r >= 0.8 && ok) ? "PASS" : "FAIL"
    } else {
      r = hwm[a] / hwm[b]
      printf "- %s: albatross/HAProxy peak RSS = %.2f (goal <= 2.00), albatross errors %d: %s\n", label[S[s]], r, err[a] + non2xx[a], (r <= 2 && ok) ? "PASS" : "FAIL"
    }
  }
  # Kernel counters: deltas over the measured runs, summed over rounds (namespace-wide).
  print ""
  print "| scenario | proxy | listen overflows | listen drops | SYN retransmits | SYN queue full | TIME_WAIT overflow | max TIME_WAIT at start |"
  print "|---|---|---:|---:|---:|---:|---:|---:|"
  for (s = 1; s <= ns; s++) {
    for (p = 1; p <= np; p++) {
      k = P[p] SUBSEP S[s]
      if (!runs[k]) continue
      printf "| %s | %s | %d | %d | %d | %d | %d | %d |\n", label[S[s]], P[p], ovf[k], drp[k], synr[k], synq[k], twovf[k], tw[k]
    }
  }
}' "$ROWS"
echo
echo "<details><summary>per-run rows</summary>"
echo
echo "| proxy | scenario | round | requests | duration s | p50 ms | p99 ms | proxy CPU s (user+sys) | targets CPU s | VmHWM MiB | errors | non-2xx | listen overflows | SYN retrans | SYN queue full | TIME_WAIT at start |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '{ printf "| %s | %s | %d | %d | %.2f | %.2f | %.2f | %.2f (%.2f+%.2f) | %.2f | %.1f | %d | %d | %d | %d | %d | %d |\n", $1, $2, $3, $4, $5 / 1e6, $6 / 1000, $7 / 1000, $8 / 1e6, $12 / 1e6, $13 / 1e6, $14 / 1e6, $9 / 1024, $10, $11, $15, $17, $18, $20 }' "$ROWS"
echo
echo "</details>"
