#!/usr/bin/env bash
# Compares albatross with HAProxy and NGINX on loopback: the same three backends, the same
# round-robin configuration and the same header work, each proxy pinned to one core and wrk plus
# the backends to another. Prints a markdown table per scenario: req/s, p50/p99, proxy CPU per
# request (utime+stime of every thread and process, from /proc/PID/stat), requests per
# proxy-CPU-second, peak RSS (VmHWM from /proc/PID/status), errors, non-2xx, and the ratios
# albatross/HAProxy and albatross/NGINX: of the totals, and the median and min-max of the
# per-round ratios. This is the harness of issue 10's table.
#
#   bench/run.sh                                  # the full table: 8 scenarios x 3 proxies x 3
#                                                 # rounds of 1 s warm-up + 5 s, ~10 min
#   BENCH_DURATION=10 bench/run.sh                # the same with 10 s runs, ~17 min
#   BENCH_SCENARIOS="ka big" BENCH_ROUNDS=5 bench/run.sh
#   BENCH_BACKEND=demo BENCH_SCENARIOS="ka close c2000" bench/run.sh   # the 2026-11-29 set-up
#   BENCH_DURATION=1 BENCH_WARMUP=0 BENCH_ROUNDS=1 BENCH_MANY=200 BENCH_SCENARIOS=sticky \
#     bench/run.sh                                # smoke test of one scenario (seconds)
#
# Backends (BENCH_BACKEND):
#   nginx (default)  three nginx processes (worker_processes 1, master_process off, access_log
#                    off, keepalive_requests 1000000, sendfile, open_file_cache), each serving a
#                    13-byte static file "hello world!\n" at / and a 1 MiB static file at /1m,
#                    identified by the response header X-Backend: app-1|app-2|app-3.
#   demo             one albatross-demo-target process (one thread) serving a, b, c: "Hello from
#                    NAME" (13 bytes) at / and /bytes?n=1048576 as the big response; X-Target.
#   The backends run on BENCH_LOAD_CPU for the whole script, each nginx under its own prefix in
#   the work directory (-p DIR -c DIR/nginx.conf, daemon off, pid and error log in DIR).
#
# Scenarios (BENCH_SCENARIOS; wrk -t1, 64 connections unless said otherwise):
#   ka         keep-alive ("keepalive" is an alias)
#   close      Connection: close: a new client connection per request
#   tls-ka     keep-alive over TLS to the proxy, plain HTTP to the backends
#   tls-close  Connection: close over TLS: a full handshake per request. wrk would resume the
#              previous connection's session (SSL_clear keeps it), so a preloaded shim
#              (noresume.so, built with cc at start) drops it before each handshake; the proxies
#              keep their default stateless session tickets (issued, never redeemed), no server
#              cache. BENCH_TLS_RESUME=1 measures ticket resumption instead. albatross's
#              albatross_tls_handshakes_total{session="new"|"resumed"} is logged after each run.
#              (Checked with NGINX's $ssl_session_reused: without the shim wrk resumed 798 of 802
#              connections, with it none.)
#   big        GET of the 1 MiB file, 16 connections (BENCH_BIG_CONNECTIONS)
#   c2000      keep-alive, 2000 connections (BENCH_MANY)
#   sticky     keep-alive; every request carries the proxy's own valid stickiness cookie
#              (Cookie: AWSALB=..., taken from the proxy's Set-Cookie in the pre-check)
#   ka-2t      keep-alive with 2 proxy threads and wrk -t2, neither pinned (both cores); CPU and
#              RSS are summed over the proxy's processes (NGINX: master + 2 workers)
#
# Same for all three proxies: one worker thread/process (two in ka-2t), round robin over the three
# backends, no health checks, no access log, connect timeout 10 s, client idle 60 s, header 10 s,
# response 120 s, upstream keep-alive (up to 1024 idle connections per backend, 4 s idle), and the
# same request rewriting: X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Port and a request id
# (what albatross always does, see src/http/header_rewrite.cpp).
#   albatross  threads = 1 (2), admin on loopback (read once after the run), max_idle_connections
#              1024, keepalive_timeout 4s. TLS: policy ELBSecurityPolicy-TLS13-1-3-2021-06 (TLS 1.3;
#              AES-128-GCM first; groups X25519:P-256:P-384, X25519 negotiated with wrk), tickets on,
#              no session cache. sticky: [target_group.stickiness] lb_cookie AWSALB with a
#              sticky_key_file (AES-256-GCM sealed cookie, opened on every request, own cookies
#              removed from the forwarded Cookie header).
#   HAProxy    haproxy -db (one process), nbthread 1 (2), http-reuse always, option forwardfor,
#              http-request set-header X-Forwarded-Proto/-Port, unique-id-format +
#              unique-id-header X-Request-Id, pool-max-conn 1024, pool-purge-delay 4s. TLS: TLS 1.3
#              only, TLS_AES_128_GCM_SHA256, curves X25519, tickets on (default), tune.ssl.cachesize
#              0. sticky: cookie AWSALB insert indirect nocache (the value names the server; it is
#              removed from the forwarded request) - HAProxy's equivalent, without cryptography.
#   NGINX      master_process off, worker_processes 1 (ka-2t: master + worker_processes 2), upstream
#              keepalive 3072, proxy_http_version 1.1, proxy_set_header Connection "", Host,
#              X-Forwarded-For $proxy_add_x_forwarded_for, X-Forwarded-Proto $scheme,
#              X-Forwarded-Port $server_port, X-Request-Id $request_id. TLS: TLSv1.3,
#              Ciphersuites TLS_AES_128_GCM_SHA256, ssl_ecdh_curve X25519, tickets on (default),
#              ssl_session_cache none (default). sticky: NGINX open source has no cookie
#              stickiness: upstream "hash $cookie_AWSALB consistent" with a random 128-character
#              AWSALB value (the cookie is forwarded unchanged).
# TLS: one ECDSA P-256 self-signed certificate made with openssl at start, used by all three.
#
# Every round runs every scenario on every proxy, the proxy order rotating per round. Each run
# starts the proxy afresh (so VmHWM is that run's peak), checks that it answers 200 from all three
# backends (big: the full 1 MiB; sticky: that the cookie pins one backend), loads it for
# BENCH_WARMUP seconds unmeasured, then BENCH_DURATION seconds measured. Rates and CPU are totals
# over the rounds, p50/p99 the median of the rounds, RSS the maximum; the ratio table adds the
# median and min-max of the per-round ratios of requests per proxy-CPU-second (issue 10 reports
# "medians of 3 alternating reps"). Errors are wrk's socket errors (connect, read, write, and
# responses slower than 5 s); non-2xx are counted apart.
#
# Environment (all optional):
#   BENCH_BUILD        build directory with albatross and albatross-demo-target (./build)
#   BENCH_BACKEND      nginx (default) or demo
#   BENCH_DURATION     seconds per measured wrk run (5)
#   BENCH_WARMUP       seconds of unmeasured wrk load after each proxy start (1)
#   BENCH_ROUNDS       rounds; every round runs every proxy once per scenario (3)
#   BENCH_PROXIES      subset/order of "albatross haproxy nginx"
#   BENCH_SCENARIOS    subset/order of "ka close tls-ka tls-close big c2000 sticky ka-2t"
#   BENCH_CONNECTIONS  connections for ka, close, tls-ka, tls-close, sticky, ka-2t (64)
#   BENCH_BIG_CONNECTIONS  connections for big (16)
#   BENCH_MANY         connections for c2000 (2000)
#   BENCH_PROXY_CPU    core for the proxy under test (0)
#   BENCH_LOAD_CPU     core for wrk and the backends (1)
#   BENCH_PATH         path of the small response (/)
#   BENCH_TLS_RESUME   1: let wrk resume TLS sessions in tls-close (0)
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
BACKEND=${BENCH_BACKEND:-nginx}
DURATION=${BENCH_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
ROUNDS=${BENCH_ROUNDS:-3}
BASELINE=${BENCH_BASELINE:-}
if [[ -n $BASELINE ]]; then
  PROXIES=${BENCH_PROXIES:-"albatross albatross-base haproxy nginx"}
else
  PROXIES=${BENCH_PROXIES:-"albatross haproxy nginx"}
fi
SCENARIOS=${BENCH_SCENARIOS:-"ka close tls-ka tls-close big c2000 sticky ka-2t"}
SCENARIOS=$(sed -E 's/(^| )keepalive( |$)/\1ka\2/g' <<<"$SCENARIOS")
CONNECTIONS=${BENCH_CONNECTIONS:-64}
BIG_CONNECTIONS=${BENCH_BIG_CONNECTIONS:-16}
MANY=${BENCH_MANY:-2000}
PROXY_CPU=${BENCH_PROXY_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
TLS_RESUME=${BENCH_TLS_RESUME:-0}
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

has_scenario() { [[ " $SCENARIOS " == *" $1 "* ]]; }

#-------------------------------------------------------------------------------------------------
# Preconditions

for bin in albatross albatross-demo-target; do
  [[ -x $BUILD/$bin ]] || die "$BUILD/$bin missing; build it with:
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build -j2 albatross albatross-demo-target"
done
[[ -z $STRACE_DIR ]] || command -v strace >/dev/null || die "strace not found"
[[ -z $PERF_DIR ]] || command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
[[ -z $STRACE_DIR || -z $PERF_DIR ]] || die "BENCH_STRACE_DIR and BENCH_PERF_DIR exclude each other"
for tool in wrk taskset curl ss ps openssl; do
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
  case $s in ka | close | tls-ka | tls-close | big | c2000 | sticky | ka-2t) ;; *) die "unknown scenario $s" ;; esac
done
case $BACKEND in
  nginx) command -v nginx >/dev/null || die "nginx not found (apt-get install nginx-light)" ;;
  demo) ;;
  *) die "BENCH_BACKEND must be nginx or demo" ;;
esac
if has_scenario tls-close && [[ $TLS_RESUME == 0 ]]; then
  command -v cc >/dev/null || die "tls-close needs cc to build the no-resumption shim (or BENCH_TLS_RESUME=1)"
fi
[[ $DURATION =~ ^[0-9]+$ && $DURATION -ge 1 && $DURATION -le 600 ]] || die "BENCH_DURATION 1..600"
[[ $WARMUP =~ ^[0-9]+$ && $WARMUP -le 60 ]] || die "BENCH_WARMUP 0..60"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 20 ]] || die "BENCH_ROUNDS 1..20"
for n in "$CONNECTIONS" "$BIG_CONNECTIONS" "$MANY"; do
  [[ $n =~ ^[0-9]+$ && $n -ge 2 && $n -le 20000 ]] || die "connection counts 2..20000"
done
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

# Nine free consecutive ports below the ephemeral range.
pick_ports() {
  local base i busy
  for ((i = 0; i < 50; i++)); do
    base=$((20000 + RANDOM % 10000))
    busy=$(ss -Htan "( sport >= :$base and sport <= :$((base + 8)) )" | wc -l)
    if [[ $busy -eq 0 ]]; then
      echo "$base"
      return 0
    fi
  done
  return 1
}

BASE=$(pick_ports) || die "no free ports"
TARGET_PORTS=("$BASE" "$((BASE + 1))" "$((BASE + 2))")
declare -A PORT=([albatross]=$((BASE + 3)) [haproxy]=$((BASE + 4)) [nginx]=$((BASE + 5))
  [albatross-base]=$((BASE + 6)))
declare -A ADMIN_PORT=([albatross]=$((BASE + 7)) [albatross-base]=$((BASE + 8)))

if [[ $BACKEND == nginx ]]; then
  TARGET_NAMES=(app-1 app-2 app-3)
  ID_HEADER=x-backend
  SMALL_PATH=${BENCH_PATH:-/}
  BIG_PATH=/1m
else
  TARGET_NAMES=(a b c)
  ID_HEADER=x-target
  SMALL_PATH=${BENCH_PATH:-/}
  BIG_PATH="/bytes?n=1048576"
fi
BIG_BYTES=1048576

#-------------------------------------------------------------------------------------------------
# Files written once: TLS certificate, sticky key, no-resumption shim, wrk report script.

write_common_files() {
  mkdir -p "$WORK/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:$ADDR" \
    -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" 2>/dev/null || die "openssl req failed"
  chmod 600 "$WORK/tls/key.pem"
  cat "$WORK/tls/cert.pem" "$WORK/tls/key.pem" >"$WORK/tls/haproxy.pem"
  chmod 600 "$WORK/tls/haproxy.pem"

  (umask 077 && openssl rand -base64 32 >"$WORK/sticky.key")
  # NGINX's hash key: as long as a sealed albatross cookie, random.
  NGINX_STICKY_VALUE=$(openssl rand -base64 120 | tr -d '\n/+=' | cut -c1-128)

  if has_scenario tls-close && [[ $TLS_RESUME == 0 ]]; then
    # wrk reuses one SSL object per connection slot and SSL_clear() keeps its session, so every
    # reconnection would offer a ticket. Dropping the session before a fresh handshake makes each
    # connection a full handshake. Resolved at run time: no OpenSSL headers or libssl-dev needed.
    cat >"$WORK/noresume.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
typedef struct ssl_st SSL;
int SSL_connect(SSL *s) {
  static int (*real_connect)(SSL *);
  static int (*in_before)(const SSL *);
  static int (*set_session)(SSL *, void *);
  if (!real_connect) {
    real_connect = (int (*)(SSL *))dlsym(RTLD_NEXT, "SSL_connect");
    in_before = (int (*)(const SSL *))dlsym(RTLD_NEXT, "SSL_in_before");
    set_session = (int (*)(SSL *, void *))dlsym(RTLD_NEXT, "SSL_set_session");
  }
  if (in_before(s)) set_session(s, NULL);
  return real_connect(s);
}
EOF
    cc -O2 -shared -fPIC -o "$WORK/noresume.so" "$WORK/noresume.c" -ldl || die "cannot build noresume.so"
  fi

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
# Backends: started once, pinned to LOAD_CPU.

TARGET_PIDS=()

start_backends() {
  local i
  if [[ $BACKEND == demo ]]; then
    local target_args=()
    for i in 0 1 2; do target_args+=("${TARGET_NAMES[$i]}=$ADDR:${TARGET_PORTS[$i]}"); done
    taskset -c "$LOAD_CPU" "$BUILD/albatross-demo-target" "${target_args[@]}" >"$WORK/targets.log" 2>&1 &
    TARGET_PIDS+=("$!")
    PIDS+=("$!")
  else
    mkdir -p "$WORK/www"
    printf 'hello world!\n' >"$WORK/www/hello.txt"
    head -c "$BIG_BYTES" /dev/zero | tr '\0' 'x' >"$WORK/www/1m"
    for i in 0 1 2; do
      local dir=$WORK/backend-$i
      mkdir -p "$dir"
      cat >"$dir/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
    worker_connections 9000;
}
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    default_type text/plain;
    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=60s;
    keepalive_timeout 60s;
    keepalive_requests 1000000;
    server {
        listen $ADDR:${TARGET_PORTS[$i]} backlog=4096;
        root $WORK/www;
        add_header X-Backend ${TARGET_NAMES[$i]} always;
        location = / {
            try_files /hello.txt =404;
        }
    }
}
EOF
      taskset -c "$LOAD_CPU" nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
      TARGET_PIDS+=("$!")
      PIDS+=("$!")
    done
  fi
  for i in 0 1 2; do
    local owner=${TARGET_PIDS[0]}
    [[ $BACKEND == demo ]] || owner=${TARGET_PIDS[$i]}
    wait_port "${TARGET_PORTS[$i]}" "$owner" || die "backend $i did not start (logs in $WORK)"
  done
  for i in 0 1 2; do
    local got
    got=$(curl -sS -m 5 -o /dev/null -w '%{http_code} %{size_download}' "http://$ADDR:${TARGET_PORTS[$i]}$BIG_PATH") ||
      die "backend $i: $BIG_PATH failed"
    [[ $got == "200 $BIG_BYTES" ]] || die "backend $i: $BIG_PATH answered '$got'"
  done
}

#-------------------------------------------------------------------------------------------------
# Proxy configurations, written per scenario: one worker thread (two in ka-2t), round robin over
# the same three backends, no health checks, no access log, connect 10 s, client idle 60 s, header
# 10 s, response 120 s, upstream keep-alive with up to 1024 idle connections per backend,
# X-Forwarded-For/-Proto/-Port and a request id added to every request (what albatross always
# does). TLS, stickiness and threads as in the header.

is_tls() { [[ $1 == tls-ka || $1 == tls-close ]]; }
threads_of() { if [[ $1 == ka-2t ]]; then echo 2; else echo 1; fi; }

write_albatross_config() {  # proxy scenario
  local proxy=$1 scenario=$2 t
  {
    cat <<EOF
[global]
threads = $(threads_of "$scenario")
admin = "$ADDR:${ADMIN_PORT[$proxy]}"
shutdown_timeout = "1s"
EOF
    [[ $scenario != sticky ]] || echo "sticky_key_file = \"$WORK/sticky.key\""
    cat <<EOF

[[listener]]
name = "bench"
bind = "$ADDR:${PORT[$proxy]}"
target_group = "bench"
idle_timeout = "60s"
header_timeout = "10s"
EOF
    if is_tls "$scenario"; then
      cat <<EOF
[listener.tls]
certificate = "$WORK/tls/cert.pem"
private_key = "$WORK/tls/key.pem"
policy = "ELBSecurityPolicy-TLS13-1-3-2021-06"
EOF
    fi
    cat <<EOF

[[target_group]]
name = "bench"
algorithm = "round_robin"
targets = [$(for t in "${TARGET_PORTS[@]}"; do printf '"%s:%s",' "$ADDR" "$t"; done | sed 's/,$//')]
connect_timeout = "10s"
response_timeout = "120s"
keepalive_timeout = "4s"
max_idle_connections = 1024
[target_group.health_check]
enabled = false
EOF
    if [[ $scenario == sticky ]]; then
      cat <<EOF
[target_group.stickiness]
enabled = true
type = "lb_cookie"
cookie_name = "AWSALB"
duration = "86400s"
EOF
    fi
  } >"$WORK/$proxy.toml"
}

write_haproxy_config() {  # scenario
  local scenario=$1 i bind proto=http
  bind="bind $ADDR:${PORT[haproxy]} backlog 4096"
  if is_tls "$scenario"; then
    proto=https
    bind+=" ssl crt $WORK/tls/haproxy.pem ssl-min-ver TLSv1.3 curves X25519 ciphersuites TLS_AES_128_GCM_SHA256"
  fi
  {
    cat <<EOF
global
    nbthread $(threads_of "$scenario")
    maxconn 9000
    pidfile $WORK/haproxy.pid
    tune.ssl.cachesize 0

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
    $bind
    http-request set-header X-Forwarded-Proto $proto
    http-request set-header X-Forwarded-Port %[dst_port]
    unique-id-format %{+X}o%ci%cp%fi%fp%Ts%rt%pid
    unique-id-header X-Request-Id
    default_backend bench

backend bench
    default-server pool-max-conn 1024 pool-purge-delay 4s
EOF
    [[ $scenario != sticky ]] || echo "    cookie AWSALB insert indirect nocache"
    for i in 0 1 2; do
      if [[ $scenario == sticky ]]; then
        echo "    server ${TARGET_NAMES[$i]} $ADDR:${TARGET_PORTS[$i]} cookie ${TARGET_NAMES[$i]}"
      else
        echo "    server ${TARGET_NAMES[$i]} $ADDR:${TARGET_PORTS[$i]}"
      fi
    done
  } >"$WORK/haproxy.cfg"
}

write_nginx_config() {  # scenario
  local scenario=$1 t listen master=off
  listen="listen $ADDR:${PORT[nginx]} backlog=4096"
  is_tls "$scenario" && listen+=" ssl"
  [[ $scenario != ka-2t ]] || master=on
  mkdir -p "$WORK/nginx"
  {
    cat <<EOF
daemon off;
master_process $master;
worker_processes $(threads_of "$scenario");
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
    upstream bench {
EOF
    # A balancing method other than round robin must come before keepalive.
    [[ $scenario != sticky ]] || echo "        hash \$cookie_AWSALB consistent;"
    for t in "${TARGET_PORTS[@]}"; do echo "        server $ADDR:$t;"; done
    cat <<EOF
        keepalive 3072;
        keepalive_timeout 4s;
        keepalive_requests 1000000;
    }
    server {
        $listen;
EOF
    if is_tls "$scenario"; then
      cat <<EOF
        ssl_certificate $WORK/tls/cert.pem;
        ssl_certificate_key $WORK/tls/key.pem;
        ssl_protocols TLSv1.3;
        ssl_ecdh_curve X25519;
        ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
EOF
    fi
    cat <<EOF
        location / {
            proxy_pass http://bench;
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
}

write_config() {  # proxy scenario
  case $1 in
    albatross | albatross-base)
      write_albatross_config "$1" "$2"
      "$BUILD/albatross" --check --config "$WORK/$1.toml" >/dev/null || die "albatross config rejected ($2)"
      ;;
    haproxy)
      write_haproxy_config "$2"
      haproxy -c -q -f "$WORK/haproxy.cfg" || die "haproxy config rejected ($2)"
      ;;
    nginx)
      write_nginx_config "$2"
      nginx -t -q -p "$WORK/nginx" -c "$WORK/nginx.conf" 2>/dev/null || {
        nginx -t -p "$WORK/nginx" -c "$WORK/nginx.conf" >&2 || true
        die "nginx config rejected ($2)"
      }
      ;;
  esac
}

#-------------------------------------------------------------------------------------------------
# Starting and measuring one proxy

PROXY_PID=""

start_proxy() {  # proxy scenario
  local proxy=$1 scenario=$2
  local -a pin=(taskset -c "$PROXY_CPU")
  [[ $scenario != ka-2t ]] || pin=()  # both cores
  case $proxy in
    albatross)
      "${pin[@]}" "${ALBATROSS_PREFIX[@]}" "$BUILD/albatross" --config "$WORK/albatross.toml" \
        >>"$WORK/albatross.log" 2>&1 &
      ;;
    albatross-base)
      "${pin[@]}" "$BASELINE" --config "$WORK/albatross-base.toml" \
        >>"$WORK/albatross-base.log" 2>&1 &
      ;;
    haproxy)
      "${pin[@]}" haproxy -db -f "$WORK/haproxy.cfg" >>"$WORK/haproxy.log" 2>&1 &
      ;;
    nginx)
      "${pin[@]}" nginx -p "$WORK/nginx" -c "$WORK/nginx.conf" >>"$WORK/nginx.log" 2>&1 &
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

# The proxy's processes: its PID and its children (NGINX's workers in ka-2t).
proxy_pids() {
  local children
  children=$(ps -o pid= --ppid "$PROXY_PID" 2>/dev/null || true)
  echo "$PROXY_PID ${children//[[:space:]]/ }"
}

# "utime stime" summed over processes (every thread), in clock ticks.
cpu_ticks() {
  local pid stat rest u=0 s=0
  local -a f
  for pid in "$@"; do
    stat=$(<"/proc/$pid/stat")
    rest=${stat##*) }
    read -r -a f <<<"$rest"
    u=$((u + f[11]))
    s=$((s + f[12]))
  done
  echo "$u $s"
}

status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
status_kb_sum() {  # key pid...
  local key=$1 pid sum=0
  shift
  for pid in "$@"; do sum=$((sum + $(status_kb "$pid" "$key"))); done
  echo "$sum"
}

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

scheme_of() { if is_tls "$1"; then echo https; else echo http; fi; }
path_of() { if [[ $1 == big ]]; then echo "$BIG_PATH"; else echo "$SMALL_PATH"; fi; }

STICKY_COOKIE=""  # the Cookie header value of the sticky scenario, per proxy run

run_wrk() {  # scenario seconds port
  local scenario=$1 seconds=$2 port=$3
  local -a args pin=(taskset -c "$LOAD_CPU") env=()
  case $scenario in
    big) args=(-t1 "-c$BIG_CONNECTIONS") ;;
    c2000) args=(-t1 "-c$MANY") ;;
    ka-2t)
      args=(-t2 "-c$CONNECTIONS")
      pin=()
      ;;
    *) args=(-t1 "-c$CONNECTIONS") ;;
  esac
  if [[ $scenario == close || $scenario == tls-close ]]; then args+=(-H "Connection: close"); fi
  if [[ $scenario == sticky ]]; then args+=(-H "Cookie: $STICKY_COOKIE"); fi
  if [[ $scenario == tls-close && $TLS_RESUME == 0 ]]; then env=(env "LD_PRELOAD=$WORK/noresume.so"); fi
  timeout -k 5 $((seconds + 30)) "${pin[@]}" "${env[@]}" \
    wrk "${args[@]}" -d"${seconds}s" --timeout 5s --latency -s "$WORK/report.lua" \
    "$(scheme_of "$scenario")://$ADDR:$port$(path_of "$scenario")"
}

# One request through the proxy: prints the response head; fails on a transport error.
proxy_head() {  # proxy scenario path [curl args]
  local proxy=$1 scenario=$2 path=$3
  shift 3
  curl -sS -k -m 5 -o /dev/null -D - "$@" "$(scheme_of "$scenario")://$ADDR:${PORT[$proxy]}$path"
}
backend_of() { tr -d '\r' | awk -F': ' -v h="$ID_HEADER" 'tolower($1) == h { print $2 }'; }

# Checks that the proxy answers 200 and spreads requests over all three backends; big: that the
# whole 1 MiB arrives; sticky: takes the proxy's cookie and checks that it pins one backend.
check_proxy() {  # proxy scenario
  local proxy=$1 scenario=$2 i seen="" headers name
  for ((i = 0; i < 6; i++)); do
    headers=$(proxy_head "$proxy" "$scenario" "$SMALL_PATH") || die "$proxy: request failed"
    [[ $headers == HTTP/1.1\ 200* ]] || die "$proxy: unexpected response: ${headers%%$'\r'*}"
    seen+=" $(backend_of <<<"$headers")"
  done
  for name in "${TARGET_NAMES[@]}"; do
    [[ $seen == *" $name"* ]] || die "$proxy/$scenario: backend $name never answered (saw '$seen')"
  done
  if [[ $scenario == big ]]; then
    local got
    got=$(curl -sS -k -m 10 -o /dev/null -w '%{http_code} %{size_download}' \
      "$(scheme_of "$scenario")://$ADDR:${PORT[$proxy]}$BIG_PATH") || die "$proxy: $BIG_PATH failed"
    [[ $got == "200 $BIG_BYTES" ]] || die "$proxy: $BIG_PATH answered '$got'"
  fi
  if [[ $scenario == sticky ]]; then
    if [[ $proxy == nginx ]]; then
      STICKY_COOKIE="AWSALB=$NGINX_STICKY_VALUE"
    else
      headers=$(proxy_head "$proxy" "$scenario" "$SMALL_PATH") || die "$proxy: request failed"
      STICKY_COOKIE=$(tr -d '\r' <<<"$headers" |
        sed -n 's/^[Ss]et-[Cc]ookie: *\(AWSALB=[^;]*\).*/\1/p' | head -n 1)
      [[ -n $STICKY_COOKIE ]] || die "$proxy: no AWSALB cookie in: $headers"
    fi
    seen=""
    for ((i = 0; i < 4; i++)); do
      headers=$(proxy_head "$proxy" "$scenario" "$SMALL_PATH" -H "Cookie: $STICKY_COOKIE") ||
        die "$proxy: request failed"
      [[ $headers == HTTP/1.1\ 200* ]] || die "$proxy: unexpected response: ${headers%%$'\r'*}"
      seen+="$(backend_of <<<"$headers") "
    done
    read -r -a b <<<"$seen"
    [[ ${#b[@]} -eq 4 && ${b[0]} == "${b[1]}" && ${b[0]} == "${b[2]}" && ${b[0]} == "${b[3]}" ]] ||
      die "$proxy: the cookie did not pin one backend (saw '$seen')"
    log "$proxy sticky: ${STICKY_COOKIE:0:40}... (${#STICKY_COOKIE} bytes) pins ${b[0]}"
  fi
}

# albatross's own evidence, read from its admin endpoint after the measured run: TLS handshakes
# new/resumed, requests that did not follow a sticky cookie.
albatross_evidence() {  # proxy
  curl -sS -m 5 "http://$ADDR:${ADMIN_PORT[$1]}/metrics" 2>/dev/null |
    awk '/^albatross_(tls_handshakes|non_sticky_requests)_total\{/ && $2 + 0 > 0 {
           sub(/^albatross_/, ""); sub(/_total/, ""); printf "%s%s", (n++ ? ", " : ""), $0 }' || true
}

# One measured run: fresh proxy (so VmHWM is this run's peak), warm-up, measured wrk run.
measure() {
  local proxy=$1 scenario=$2 round=$3 out
  write_config "$proxy" "$scenario"
  start_proxy "$proxy" "$scenario"
  check_proxy "$proxy" "$scenario"
  if [[ $WARMUP -gt 0 ]]; then run_wrk "$scenario" "$WARMUP" "${PORT[$proxy]}" >/dev/null; fi
  local -a ppids
  read -r -a ppids <<<"$(proxy_pids)"
  local strace_pid=""
  if [[ -n $STRACE_DIR ]]; then
    mkdir -p "$STRACE_DIR"
    local -a sargs=()
    local p
    for p in "${ppids[@]}"; do sargs+=(-p "$p"); done
    strace -c -f "${sargs[@]}" -o "$STRACE_DIR/$proxy-$scenario-$round.txt" 2>/dev/null &
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
    perf record -q -e cpu-clock -F 2000 -g -p "$(tr ' ' ',' <<<"${ppids[*]}")" \
      -o "$PERF_DIR/$proxy-$scenario-$round.data" >/dev/null 2>&1 &
    perf_pid=$!
    PIDS+=("$perf_pid")
  fi
  local user0 sys0 user1 sys1 tuser0 tsys0 tuser1 tsys1 time_wait
  local -a k0 k1
  time_wait=$(time_wait_sockets)
  read -r -a k0 <<<"$(kernel_counters)"
  read -r user0 sys0 <<<"$(cpu_ticks "${ppids[@]}")"
  read -r tuser0 tsys0 <<<"$(cpu_ticks "${TARGET_PIDS[@]}")"
  out=$(run_wrk "$scenario" "$DURATION" "${PORT[$proxy]}") || die "wrk failed for $proxy/$scenario"
  read -r user1 sys1 <<<"$(cpu_ticks "${ppids[@]}")"
  read -r tuser1 tsys1 <<<"$(cpu_ticks "${TARGET_PIDS[@]}")"
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
  local hwm threads evidence=""
  hwm=$(status_kb_sum VmHWM "${ppids[@]}")
  threads=$(status_kb_sum Threads "${ppids[@]}")
  [[ $proxy != albatross* ]] || evidence=$(albatross_evidence "$proxy")
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
  log "$(printf '%-9s %-9s round %d: %d req in %d us, proxy cpu %d us (user %d), backends cpu %d us, hwm %s kB, processes %d, threads %s, errors %d (connect %d read %d write %d timeout %d), non-2xx %d' \
    "$proxy" "$scenario" "$round" "${v[requests]}" "${v[duration_us]}" \
    $((user_us + sys_us)) "$user_us" "$target_us" "$hwm" "${#ppids[@]}" "$threads" "$errors" \
    "${v[connect]}" "${v[read]}" "${v[write]}" "${v[timeout]}" "${v[status]}")"
  log "$(printf '%-9s %-9s round %d: kernel: listen overflows %d drops %d, SYN retransmits %d, SYN queue full %d, TIME_WAIT overflow %d, TIME_WAIT at start %d' \
    "$proxy" "$scenario" "$round" "$overflows" "$drops" "$syn_retrans" "$syn_queue_full" "$tw_overflow" "$time_wait")"
  [[ -z $evidence ]] || log "$(printf '%-9s %-9s round %d: metrics: %s' "$proxy" "$scenario" "$round" "$evidence")"
}

#-------------------------------------------------------------------------------------------------
# Main

write_common_files
start_backends

read -r -a proxy_list <<<"$PROXIES"
ROWS=$WORK/rows.tsv
: >"$ROWS"
log "ports: backends ${TARGET_PORTS[*]} ($BACKEND), albatross ${PORT[albatross]}, haproxy ${PORT[haproxy]}, nginx ${PORT[nginx]}"
log "proxy on core $PROXY_CPU (ka-2t: all), wrk and backends on core $LOAD_CPU; $ROUNDS round(s) of ${WARMUP}s + ${DURATION}s runs"
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
[[ -z $RAW ]] || cp "$ROWS" "$RAW"

#-------------------------------------------------------------------------------------------------
# Report: totals over rounds for rates and CPU, median over rounds for percentiles, max for RSS;
# per-round ratios of requests per proxy-CPU-second: median and min-max.

echo "Backends: $BACKEND; $ROUNDS round(s) of ${WARMUP} s warm-up + ${DURATION} s per proxy and scenario; proxy on core $PROXY_CPU, wrk and backends on core $LOAD_CPU (ka-2t: proxy and wrk unpinned)."
echo
awk -F'\t' -v proxies="$PROXIES" -v scenarios="$SCENARIOS" -v conns="$CONNECTIONS" -v many="$MANY" \
  -v big="$BIG_CONNECTIONS" -v resume="$TLS_RESUME" '
function median(list,   a, n, i, j, t) {
  n = split(list, a, " ")
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function minmax(list,   a, n, i, lo, hi) {
  n = split(list, a, " "); lo = hi = a[1] + 0
  for (i = 2; i <= n; i++) { if (a[i] + 0 < lo) lo = a[i] + 0; if (a[i] + 0 > hi) hi = a[i] + 0 }
  return n > 1 ? sprintf("%.2f–%.2f", lo, hi) : sprintf("%.2f", lo)
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
  if ($8 > 0) rr[k, $3] = $4 / ($8 / 1e6)
  if (!($3 in seenround)) { seenround[$3] = 1; rounds[++nr] = $3 }
}
END {
  label["ka"] = "ka: keep-alive, " conns " conn"
  label["close"] = "close: Connection: close, " conns " conn"
  label["tls-ka"] = "tls-ka: TLS keep-alive, " conns " conn"
  label["tls-close"] = "tls-close: TLS " (resume ? "resumed handshake" : "full handshake") " per request, " conns " conn"
  label["big"] = "big: 1 MiB responses, " big " conn"
  label["c2000"] = "c2000: keep-alive, " many " conn"
  label["sticky"] = "sticky: AWSALB cookie, " conns " conn"
  label["ka-2t"] = "ka-2t: 2 threads, both cores, " conns " conn"
  np = split(proxies, P, " "); ns = split(scenarios, S, " ")
  print "| scenario | proxy | req/s | p50 ms | p99 ms | proxy CPU µs/req (user+sys) | req per proxy-CPU-s | peak RSS MiB | errors | non-2xx |"
  print "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
  for (s = 1; s <= ns; s++) {
    for (p = 1; p <= np; p++) {
      k = P[p] SUBSEP S[s]
      if (!runs[k]) continue
      rps[k] = req[k] / (dur[k] / 1e6)
      cpr[k] = req[k] > 0 ? cpu[k] / req[k] : 0
      rpc[k] = cpu[k] > 0 ? req[k] / (cpu[k] / 1e6) : 0
      m50[k] = median(p50[k]) / 1000; m99[k] = median(p99[k]) / 1000
      printf "| %s | %s | %.0f | %.2f | %.2f | %.1f (%.1f+%.1f) | %.0f | %.1f | %d | %d |\n", label[S[s]], P[p], rps[k], m50[k], m99[k], cpr[k], (req[k] ? usr[k] / req[k] : 0), (req[k] ? sys[k] / req[k] : 0), rpc[k], hwm[k] / 1024, err[k], non2xx[k]
    }
  }
  print ""
  print "| scenario | ratio | req/s | p50 | p99 | req per proxy-CPU-s (totals) | req per proxy-CPU-s: median of rounds | min–max of rounds | peak RSS |"
  print "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for (s = 1; s <= ns; s++) {
    a = "albatross" SUBSEP S[s]
    if (!runs[a]) continue
    for (p = 1; p <= np; p++) {
      if (P[p] == "albatross") continue
      b = P[p] SUBSEP S[s]
      if (!runs[b]) continue
      list = ""
      for (r = 1; r <= nr; r++)
        if ((a SUBSEP rounds[r]) in rr && (b SUBSEP rounds[r]) in rr && rr[b, rounds[r]] > 0)
          list = list " " rr[a, rounds[r]] / rr[b, rounds[r]]
      med[P[p], S[s]] = list == "" ? -1 : median(list)
      name = P[p] == "haproxy" ? "HAProxy" : (P[p] == "nginx" ? "NGINX" : P[p])
      printf "| %s | albatross/%s | %s | %s | %s | %s | %s | %s | %s |\n", label[S[s]], name, ratio(rps[a], rps[b]), ratio(m50[a], m50[b]), ratio(m99[a], m99[b]), ratio(rpc[a], rpc[b]), (list == "" ? "n/a" : sprintf("%.2f", med[P[p], S[s]])), (list == "" ? "n/a" : minmax(list)), ratio(hwm[a], hwm[b])
    }
  }
  # Issue 10 goals: albatross >= 1.10x HAProxy requests per proxy-CPU-second (median of rounds)
  # in every scenario but tls-close (>= 1.0), p99 no worse than HAProxy, no errors, and peak RSS
  # at c2000 no more than NGINX.
  print ""
  for (s = 1; s <= ns; s++) {
    a = "albatross" SUBSEP S[s]; b = "haproxy" SUBSEP S[s]
    if (!runs[a] || !runs[b] || med["haproxy", S[s]] < 0) continue
    goal = S[s] == "tls-close" ? 1.0 : 1.1
    r = med["haproxy", S[s]]
    ok = err[a] == 0 && non2xx[a] == 0 && r >= goal && m99[a] <= m99[b]
    line = sprintf("- %s: albatross/HAProxy req per proxy-CPU-s %.2f (goal >= %.2f), p99 %.2f vs %.2f ms, albatross errors %d", label[S[s]], r, goal, m99[a], m99[b], err[a] + non2xx[a])
    if (S[s] == "c2000" && runs["nginx" SUBSEP S[s]]) {
      line = line sprintf(", peak RSS %.1f vs NGINX %.1f MiB", hwm[a] / 1024, hwm["nginx" SUBSEP S[s]] / 1024)
      ok = ok && hwm[a] <= hwm["nginx" SUBSEP S[s]]
    }
    print line ": " (ok ? "PASS" : "FAIL")
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
echo "| proxy | scenario | round | requests | duration s | p50 ms | p99 ms | proxy CPU s (user+sys) | backends CPU s | VmHWM MiB | errors | non-2xx | listen overflows | SYN retrans | SYN queue full | TIME_WAIT at start |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F'\t' '{ printf "| %s | %s | %d | %d | %.2f | %.2f | %.2f | %.2f (%.2f+%.2f) | %.2f | %.1f | %d | %d | %d | %d | %d | %d |\n", $1, $2, $3, $4, $5 / 1e6, $6 / 1000, $7 / 1000, $8 / 1e6, $12 / 1e6, $13 / 1e6, $14 / 1e6, $9 / 1024, $10, $11, $15, $17, $18, $20 }' "$ROWS"
echo
echo "</details>"
