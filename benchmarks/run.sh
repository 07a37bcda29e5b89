#!/usr/bin/env bash
# Performance benchmarks (issue 6): `make bench` (full) and `make bench-quick` (quick, under 2 minutes).
#
# Installs what it needs (scripts/install-deps.sh bench), builds a Release tree in build-bench, starts nginx
# and prometheus-blackbox-exporter on 127.0.0.1 with generated configs, measures wrk's ceiling, libcurl's
# floor, synthprobe and blackbox_exporter in the same run, stops everything it started, and prints a
# Markdown table. CPU comes from getrusage and /proc/<pid>/stat, memory from /proc/<pid>/status.
# Every load is bounded in count and in time. Usage: benchmarks/run.sh [quick|full]
set -euo pipefail

mode=${1:-quick}
case "$mode" in
  quick | full) ;;
  *) echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
jobs=${BENCH_JOBS:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/synthprobe-bench.XXXXXX")
nginx_conf=""
bb_pid=""
hole_pid=""

cleanup() {
  set +e
  [ -n "$bb_pid" ] && kill "$bb_pid" 2>/dev/null && wait "$bb_pid" 2>/dev/null
  [ -n "$hole_pid" ] && kill "$hole_pid" 2>/dev/null && wait "$hole_pid" 2>/dev/null
  [ -n "$nginx_conf" ] && /usr/sbin/nginx -c "$nginx_conf" -p "$work/nginx" -s stop 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

if [ "$mode" = quick ]; then
  wrk_s=5 tp_count=30000 bb_s=4 inflight=1000 bb_hold=500 idle=10000 lag_s=12 daemon_s=6 daemon_scrape_s=4
  latency_s=4 scrape_rounds=1 micro_args=(--benchmark_min_time=0.05)
else
  wrk_s=15 tp_count=200000 bb_s=15 inflight=5000 bb_hold=1000 idle=100000 lag_s=60 daemon_s=30 daemon_scrape_s=15
  latency_s=15 scrape_rounds=3 micro_args=()
fi

# ---- install and build ---------------------------------------------------------------------------
"$root/scripts/install-deps.sh" bench
log "building into $build (Release, -j$jobs)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSYNTHPROBE_BENCHMARKS=ON -DSYNTHPROBE_TESTS=OFF \
  >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs" --target synthprobe bench_checks bench_micro >"$work/build.log" 2>&1 ||
  { tail -50 "$work/build.log" >&2; exit 1; }
bench="$build/benchmarks/bench_checks"
synthprobe="$build/synthprobe"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- measurement helpers -------------------------------------------------------------------------
# measure NAME ARGS...: runs bench_checks, keeps its key=value output; a failure is reported, not fatal.
measure() {
  local name=$1
  shift
  log "$name: bench_checks $*"
  if ! timeout 300 "$bench" "$@" >"$work/$name.out" 2>"$work/$name.err"; then
    log "$name failed:"
    tail -5 "$work/$name.err" >&2
  fi
}
# get NAME KEY: a value from a measurement, or n/a.
get() {
  local v
  v=$(sed -n "s/^$2=//p" "$work/$1.out" 2>/dev/null | head -1)
  echo "${v:-n/a}"
}
# calc EXPR: awk arithmetic on the values (n/a in, n/a out).
calc() {
  case "$*" in *n/a*) echo "n/a"; return ;; esac
  awk "BEGIN { printf \"%s\", $* }"
}
ratio() { calc "sprintf(\"%.2f\", $1 / $2)"; }
# verdict OK_EXPR: "met" or "**missed**" (n/a when a value is missing).
verdict() {
  case "$*" in *n/a*) echo "not measured"; return ;; esac
  if awk "BEGIN { exit !($*) }"; then echo "met"; else echo "**missed**"; fi
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
clk_tck=$(getconf CLK_TCK)
wait_http() {
  for _ in $(seq 1 100); do
    "$bench" get --url "$1" --timeout-ms 500 >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
wrk_rps() { sed -n 's/^Requests\/sec: *//p' "$1" | head -1 | awk '{ printf "%.0f", $1 }'; }
wrk_requests() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1" | head -1; }

# ---- nginx: a 4 KiB page on 127.0.0.1, Connection: close for every client --------------------------
mkdir -p "$work/nginx/www" "$work/nginx/tmp"
{
  printf '<!doctype html><html><head><title>Shop</title></head><body>'
  for _ in $(seq 1 200); do printf '<p>Product</p>'; done
} | head -c 4070 >"$work/nginx/www/page.html"
printf 'Add to cart</body></html>\n' >>"$work/nginx/www/page.html"
truncate -s 4096 "$work/nginx/www/page.html"
nginx_port=$("$bench" free-port)
nginx_user=""
[ "$(id -u)" -eq 0 ] && nginx_user="user root;"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile 65536;
$nginx_user
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  keepalive_timeout 0;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  server {
    listen 127.0.0.1:$nginx_port backlog=4096;
    root $work/nginx/www;
    location / { try_files /page.html =404; }
  }
}
EOF
/usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx"
nginx_conf="$work/nginx/nginx.conf"
url="http://127.0.0.1:$nginx_port/page.html"
wait_http "$url" || { log "nginx does not answer on $url"; exit 1; }

# ---- the machine's ceiling and libcurl's floor ---------------------------------------------------
log "wrk: Connection: close, 64 connections, ${wrk_s}s"
wrk -t1 -c64 -d"${wrk_s}s" --timeout 5s -H 'Connection: close' "$url" >"$work/wrk.txt" 2>&1 || true
wrk_rate=$(wrk_rps "$work/wrk.txt")
wrk_rate=${wrk_rate:-n/a}

measure bare bare --url "$url" --count "$tp_count" --concurrency 64 --max-seconds 30
measure bare1k inflight --warm-url "$url" --concurrency "$inflight" --bare --buffersize 1024
measure bare_inflight inflight --warm-url "$url" --concurrency "$inflight" --bare

# ---- synthprobe ----------------------------------------------------------------------------------
measure throughput throughput --url "$url" --count "$tp_count" --concurrency 64 --max-seconds 30
measure inflight inflight --warm-url "$url" --concurrency "$inflight"
measure idle idle --url "$url" --checks "$idle"
measure config_load config-load --checks 100000
measure scrape scrape --checks 10000 --rounds "$scrape_rounds"
measure lag lag --url "$url" --checks 100000 --interval 60s --seconds "$lag_s"
measure daemon daemon --synthprobe "$synthprobe" --url "$url" --checks 10000 --interval 6s --seconds "$daemon_s" \
  --scrape-seconds "$daemon_scrape_s"
measure latency latency --delay-ms 50 --rate 5000 --seconds "$latency_s"
measure latency1k latency --delay-ms 50 --rate 1000 --seconds "$latency_s"

# ---- blackbox_exporter, same machine, same nginx -------------------------------------------------
bb_port=$("$bench" free-port)
cat >"$work/blackbox.yml" <<EOF
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
  http_hold:
    prober: http
    timeout: 30s
    http:
      preferred_ip_protocol: ip4
EOF
bb_rate=n/a bb_cpu=n/a bb_hold_kib=n/a bb_version=n/a
if command -v prometheus-blackbox-exporter >/dev/null; then
  bb_version=$(prometheus-blackbox-exporter --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1)
  prometheus-blackbox-exporter --config.file="$work/blackbox.yml" --web.listen-address="127.0.0.1:$bb_port" \
    --log.level=warn >"$work/blackbox.log" 2>&1 &
  bb_pid=$!
  probe_url="http://127.0.0.1:$bb_port/probe?target=$url&module=http_2xx"
  if wait_http "http://127.0.0.1:$bb_port/metrics" && "$bench" get --url "$probe_url" --timeout-ms 5000 |
    grep -q '^probe_success 1'; then
    log "blackbox_exporter: /probe at concurrency 64, ${bb_s}s"
    t0=$(cpu_ticks "$bb_pid")
    wrk -t1 -c64 -d"${bb_s}s" --timeout 10s "$probe_url" >"$work/wrk-blackbox.txt" 2>&1 || true
    t1=$(cpu_ticks "$bb_pid")
    bb_n=$(wrk_requests "$work/wrk-blackbox.txt")
    bb_rate=$(wrk_rps "$work/wrk-blackbox.txt")
    [ -n "$bb_n" ] && [ "$bb_n" -gt 0 ] && bb_cpu=$(calc "sprintf(\"%.0f\", ($t1 - $t0) * 1000000 / $clk_tck / $bb_n)")

    log "blackbox_exporter: $bb_hold probes held against a server that never answers"
    "$bench" blackhole --seconds 40 >"$work/hole.out" 2>/dev/null &
    hole_pid=$!
    for _ in $(seq 1 50); do grep -q '^port=' "$work/hole.out" 2>/dev/null && break; sleep 0.1; done
    hole_port=$(sed -n 's/^port=//p' "$work/hole.out")
    rss0=$(awk '/^VmRSS:/ { print $2 }' "/proc/$bb_pid/status")
    wrk -t1 -c"$bb_hold" -d8s --timeout 40s "http://127.0.0.1:$bb_port/probe?target=http://127.0.0.1:$hole_port/&module=http_hold" \
      >"$work/wrk-hold.txt" 2>&1 &
    wrk_pid=$!
    sleep 6
    rss1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$bb_pid/status")
    wait "$wrk_pid" || true
    bb_hold_kib=$(calc "sprintf(\"%.0f\", ($rss1 - $rss0) / $bb_hold)")
  else
    log "blackbox_exporter did not probe nginx successfully; see $work/blackbox.log"
  fi
  kill "$bb_pid" 2>/dev/null || true
  wait "$bb_pid" 2>/dev/null || true
  bb_pid=""
  [ -n "$hole_pid" ] && { kill "$hole_pid" 2>/dev/null || true; wait "$hole_pid" 2>/dev/null || true; hole_pid=""; }
fi

# ---- microbenchmarks -----------------------------------------------------------------------------
log "microbenchmarks"
"$build/benchmarks/bench_micro" "${micro_args[@]}" >"$work/micro.txt" 2>&1 || log "bench_micro failed"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table -----------------------------------------------------------------------------------
tp_rate=$(get throughput checks_per_s)
tp_cpu=$(get throughput cpu_us_per_check)
bare_rate=$(get bare checks_per_s)
bare_cpu=$(get bare cpu_us_per_check)
inf=$(get inflight kib_per_in_flight)
idle_kib=$(get idle kib_per_check)
lag_p99=$(get lag lag_p99_ms)
lag_missed=$(get lag missed)
lag_doubled=$(get lag doubled)
render_s=$(get scrape render_s)
lat_p99=$(get latency error_p99_ms)
load_s=$(get config_load load_s)

cpu_vs_bare=$(ratio "$tp_cpu" "$bare_cpu")
bb_vs_sp=$(ratio "$bb_cpu" "$tp_cpu")
mem_ok=$(verdict "$inf <= 16")
# fmt N: 12345 -> 12,345 (n/a stays n/a).
fmt() {
  case "$1" in *n/a*) echo "n/a"; return ;; esac
  echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'
}

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram_gib=$(awk '/^MemTotal:/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
echo
echo "## synthprobe benchmarks ($mode) — $(date -u +%F)"
echo
echo "Machine: $(nproc) cores, $cpu_model, $ram_gib GiB RAM; nginx $(/usr/sbin/nginx -v 2>&1 | sed 's/.*\///'), 1 worker," \
  "4 KiB page, fresh connection per request; blackbox_exporter $bb_version. Load average before/after: $load_before / $load_after."
echo
echo "| what | target | measured | ratio/notes |"
echo "|---|---|---|---|"
echo "| wrk, \`Connection: close\`, 64 connections (the machine's ceiling) | reference ~19,000/s | $(fmt "$wrk_rate")/s | the ceiling for the rows below |"
echo "| bare libcurl multi loop, 64 in flight (libcurl's floor) | reference ~13,800/s at ~71 µs | $(fmt "$bare_rate")/s at $bare_cpu µs/check | $(calc "sprintf(\"%.0f%%\", 100 * $bare_rate / $wrk_rate)") of wrk |"
echo "| fresh-connection checks per second, one process (CheckRunner + CheckMetrics, 64 in flight) | >= 12,000/s | $(fmt "$tp_rate")/s | $(verdict "$tp_rate >= 12000"); $(ratio "$tp_rate" "$bare_rate")x bare libcurl, $(calc "sprintf(\"%.0f%%\", 100 * $tp_rate / $wrk_rate)") of wrk; $(get throughput failed) failed |"
echo "| CPU per check (getrusage, user+sys, same run) | <= 90 µs, <= 1.3x bare libcurl, >= 9x less than blackbox | $tp_cpu µs | $(verdict "$tp_cpu <= 90 && $cpu_vs_bare <= 1.3 && $bb_vs_sp >= 9"); ${cpu_vs_bare}x bare libcurl; blackbox uses ${bb_vs_sp}x more |"
echo "| CPU per run in the daemon, check-loop thread (/proc), 10,000 checks at 6s | (same target) | $(get daemon loop_cpu_us_per_run) µs at $(fmt "$(get daemon runs_per_s)") runs/s | $(verdict "$(get daemon loop_cpu_us_per_run) <= 90"); scheduling, health, status and metrics included; every run woken on its own |"
echo "| blackbox_exporter $bb_version, /probe at concurrency 64 | reference ~2,100/s at 770-970 µs | $(fmt "$bb_rate")/s at $bb_cpu µs/probe | CPU from /proc/<pid>/stat |"
echo "| memory per in-flight check ($(get inflight in_flight) held, server never answers) | <= 16 KiB | $inf KiB | $mem_ok; bare libcurl $(get bare_inflight kib_per_in_flight) KiB, with CURLOPT_BUFFERSIZE 1024 $(get bare1k kib_per_in_flight) KiB; blackbox_exporter $bb_hold_kib KiB |"
echo "| memory per configured idle check ($(fmt "$(get idle checks)") checks, whole daemon, all series) | <= 8 KiB | $idle_kib KiB | $(verdict "$idle_kib <= 8"); the loaded config alone $(get idle kib_per_check_loaded_config) KiB |"
echo "| 100,000 checks at 60s (1,667 runs/s), ${lag_s}s window, in-process scheduler + engine | lag p99 <= 10 ms, no run missed or doubled | p50 $(get lag lag_p50_ms) ms, p99 $lag_p99 ms, max $(get lag lag_max_ms) ms; $(fmt "$(get lag runs)") runs, $lag_missed missed, $lag_doubled doubled | $(verdict "$lag_p99 <= 10 && $lag_missed == 0 && $lag_doubled == 0"); $(get lag failed) failed; check loop $(get lag loop_cpu_us_per_run) µs/run |"
echo "| the daemon (\`synthprobe run\`), 10,000 checks at 6s (1,667 runs/s) | lag p99 <= 10 ms | p50 $(get daemon lag_p50_quiet), p99 $(get daemon lag_p99_quiet) | from synthprobe_scheduler_lag_seconds (bucket bounds) |"
echo "| /metrics of 10,000 checks ($(fmt "$(get scrape series)") series, $(calc "sprintf(\"%.0f\", $(get scrape bytes) / 1048576)") MiB) | <= 1 s | render_metrics $render_s s (Collect $(get scrape collect_s) s, TextSerializer $(get scrape serialize_s) s); daemon scrape median $(get daemon scrape_median_s) s | $(verdict "$render_s <= 1") |"
quiet=$(get daemon lag_p99_quiet)
scraping=$(get daemon lag_p99_scraping)
if [ "$quiet" = n/a ] || [ "$scraping" = n/a ]; then same="not measured"
elif [ "$quiet" = "$scraping" ]; then same="met (same histogram bucket)"
else same="**changed**"; fi
echo "| lag while /metrics of 10,000 checks is scraped back to back ($(get daemon scrapes) scrapes) | lag p99 unchanged | p99 $quiet quiet, $scraping while scraping | $same; scrapes are served from the HTTP thread, which competes for the 2 cores |"
echo "| latency accuracy, server delay 50 ms, $(fmt "$(get latency achieved_rate)") checks/s | error p99 <= 1 ms | p50 $(get latency error_p50_ms) ms, p99 $lat_p99 ms | $(verdict "$lat_p99 <= 1"); processing phase p99 $(get latency processing_error_p99_ms) ms; the server's own view: accept to response p99 $(get latency server_hold_p99_ms) ms, its timers p99 $(get latency server_timer_late_p99_ms) ms late; $(get latency failed) failed |"
echo "| the same at $(fmt "$(get latency1k achieved_rate)") checks/s | error p99 <= 1 ms | p50 $(get latency1k error_p50_ms) ms, p99 $(get latency1k error_p99_ms) ms | $(verdict "$(get latency1k error_p99_ms) <= 1"); processing phase p99 $(get latency1k processing_error_p99_ms) ms; server accept to response p99 $(get latency1k server_hold_p99_ms) ms, its timers p99 $(get latency1k server_timer_late_p99_ms) ms late |"
echo "| config load and validation of 100,000 checks | <= 2 s | $load_s s | $(verdict "$load_s <= 2"); peak RSS $(calc "sprintf(\"%.0f\", $(get config_load peak_rss_kib) / 1024)") MiB |"
echo
echo "Microbenchmarks (Google Benchmark, CPU time per operation):"
echo
echo '```'
sed -n '/^Benchmark/,$p' "$work/micro.txt" | grep -v '^-*$'
echo '```'
