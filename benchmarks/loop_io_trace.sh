#!/usr/bin/env bash
# The check loop never touches the disk (issue 10; contract section 9: "no disk I/O ... on the check loop").
#
# Runs `synthprobe run` under strace with N checks, 20% of them flapping (nginx answers 503 for half of
# each flap period: checks go failing, down and up again, incidents open and resolve, so the state store
# writes streaks, incidents and rollups), while /status is fetched 20 times a second. Then it counts, per
# thread, fsync/fdatasync/openat and writes to files, in steady state (from /-/ready to SIGTERM):
# the check-loop thread must show none apart from log lines on fd 1/2; the store's writer shows the fsyncs.
#
# Which thread is the check loop: run_daemon() runs the io_context on the main thread, so its tid is the
# pid. The script checks that from the trace: curl's connect() calls (one per run) must all come from
# that tid.
#
# strace stops the daemon on every traced call (with --seccomp-bpf only on those), which makes the loop's
# lag under strace meaningless (seconds); the lag is therefore measured again in a second, identical run
# without strace: first with nobody fetching /status (the reference), then with the same /status load.
#
# Prints key=value lines on stdout (benchmarks/run.sh puts them in its table) and the per-thread counts on
# stderr. Every load is bounded in count and in time; only 127.0.0.1.
#
# Usage: benchmarks/loop_io_trace.sh [quick|full]
#   quick: 2,000 checks at 2s, flapping every 10 s, 60 s under strace; without strace 20 s quiet + 20 s
#          with /status
#   full:  10,000 checks at 6s, flapping every 60 s, 10 minutes under strace; without strace 60 s quiet
#          + 60 s with /status
# Environment: BENCH_BUILD_DIR (default build-bench, built by run.sh), BENCH_URL and BENCH_FLAP10_URL /
# BENCH_FLAP60_URL (run.sh's nginx; without them the script starts its own), BENCH_TRACE_SECONDS and
# BENCH_LAG_SECONDS (override the durations).
set -euo pipefail

mode=${1:-quick}
case "$mode" in
  quick) checks=2000 interval=2s flap=10 trace_s=60 lag_s=20 ;;
  full) checks=10000 interval=6s flap=60 trace_s=600 lag_s=60 ;;
  *) echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac
trace_s=${BENCH_TRACE_SECONDS:-$trace_s}
lag_s=${BENCH_LAG_SECONDS:-$lag_s}
status_rate=20

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BENCH_BUILD_DIR:-$root/build-bench}
bench="$build/benchmarks/bench_checks"
synthprobe="$build/synthprobe"
for exe in "$bench" "$synthprobe"; do
  [ -x "$exe" ] || { echo "$exe is missing: run benchmarks/run.sh (or build $build) first" >&2; exit 1; }
done
command -v strace >/dev/null || "$root/scripts/install-deps.sh" bench
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/synthprobe-trace.XXXXXX")
daemon_pid="" strace_pid="" poll_pid="" own_nginx=""
cleanup() {
  set +e
  [ -n "$poll_pid" ] && kill "$poll_pid" 2>/dev/null && wait "$poll_pid" 2>/dev/null
  [ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
  # strace's own children too, whatever daemon_pid says: a wait on strace must never outlive the run.
  [ -n "$strace_pid" ] && pkill -KILL -P "$strace_pid" 2>/dev/null
  [ -n "$strace_pid" ] && kill -KILL "$strace_pid" 2>/dev/null
  [ -n "$strace_pid" ] && wait "$strace_pid" 2>/dev/null
  [ -n "$daemon_pid" ] && wait "$daemon_pid" 2>/dev/null
  [ -n "$own_nginx" ] && stop_nginx "$own_nginx"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "loop_io_trace: $*" >&2; }

url=${BENCH_URL:-}
if [ "$flap" = 10 ]; then flap_url=${BENCH_FLAP10_URL:-}; else flap_url=${BENCH_FLAP60_URL:-}; fi
if [ -z "$url" ] || [ -z "$flap_url" ]; then
  # shellcheck source=benchmarks/nginx.sh
  . "$root/benchmarks/nginx.sh"
  own_nginx="$work/nginx"
  start_nginx "$own_nginx" "$("$bench" free-port)"
  url=$nginx_url
  if [ "$flap" = 10 ]; then flap_url=$flap10_url; else flap_url=$flap60_url; fi
fi

now() { date +%s.%N; }

# run_daemon NAME [strace]: starts `synthprobe run` on a fresh state_dir (under strace when asked) and
# waits until it is ready; sets daemon_pid, port, state_dir and t_ready.
run_daemon() {
  local name=$1 traced=${2:-}
  port=$("$bench" free-port)
  state_dir="$work/$name-state"
  "$bench" gen-config --out "$work/$name.toml" --checks "$checks" --checks-per-site 100 --url "$url" \
    --interval "$interval" --timeout 1s --listen "127.0.0.1:$port" --state-dir "$state_dir" \
    --flap-every 5 --flap-url "$flap_url"
  if [ -n "$traced" ]; then
    # -y: each fd with its path; -ttt: wall time, to split start-up, steady state and shutdown.
    # Everything that syncs, opens, writes, renames or removes a file, and connect() to tell the loop.
    local calls=fsync,fdatasync,openat,open,creat,write,pwrite64,writev,pwritev,pwritev2,ftruncate
    calls+=,rename,renameat,renameat2,unlink,unlinkat,connect
    strace -f --seccomp-bpf -qq -ttt -y -o "$work/trace" -e trace="$calls" \
      "$synthprobe" run --config "$work/$name.toml" >"$work/$name.log" 2>&1 &
    strace_pid=$!
    for _ in $(seq 1 50); do
      daemon_pid=$(ps -o pid= --ppid "$strace_pid" | tr -d ' ' | head -1) || true
      [ -n "$daemon_pid" ] && break
      sleep 0.1
    done
  else
    "$synthprobe" run --config "$work/$name.toml" >"$work/$name.log" 2>&1 &
    daemon_pid=$!
  fi
  [ -n "$daemon_pid" ] || { log "the daemon did not start"; exit 1; }
  for _ in $(seq 1 600); do
    "$bench" get --url "http://127.0.0.1:$port/-/ready" --timeout-ms 1000 >/dev/null 2>&1 && break
    # Under strace, strace lives exactly as long as the daemon it runs.
    kill -0 "${strace_pid:-$daemon_pid}" 2>/dev/null || { log "the daemon exited; its log:"; tail "$work/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  # Under strace, ask again once it answers: the pid read while strace was starting was once not the
  # daemon's (nothing was observed, and SIGTERM never reached it).
  if [ -n "$traced" ]; then daemon_pid=$(pgrep -P "$strace_pid" -x synthprobe | head -1 || true); fi
  [ -n "$daemon_pid" ] || { log "no synthprobe process under strace"; exit 1; }
  t_ready=$(now)
  sleep "${interval%s}"  # every check has had its first run
}

# quiet NAME SECONDS: the lag window with nobody fetching /status.
quiet() {
  "$bench" observe --pid "$daemon_pid" --base "http://127.0.0.1:$port" --checks "$checks" --interval "$interval" \
    --seconds "$2" >"$work/$1-observe.out" 2>"$work/$1-observe.err" || log "$1: observe failed"
}

# measure NAME SECONDS: /status 20 times a second and the lag window, both for SECONDS; then stops the daemon.
measure() {
  local name=$1 seconds=$2
  "$bench" poll --url "http://127.0.0.1:$port/status" --rate "$status_rate" --seconds "$seconds" \
    >"$work/$name-poll.out" 2>"$work/$name-poll.err" &
  poll_pid=$!
  "$bench" observe --pid "$daemon_pid" --base "http://127.0.0.1:$port" --checks "$checks" --interval "$interval" \
    --seconds "$seconds" >"$work/$name-observe.out" 2>"$work/$name-observe.err" || log "$name: observe failed"
  wait "$poll_pid" || log "$name: the /status poller failed"
  poll_pid=""
  t_stop=$(now)
  stop_daemon
}

# Running, and not a zombie waiting for its parent.
alive() { [ -r "/proc/$1/stat" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# SIGTERM (the daemon drains and stops), repeated every 5 s, then SIGKILL after 60 s; sets stopped_by
# and stop_seconds.
stop_daemon() {
  local i t0
  t0=$(now)
  stopped_by=SIGTERM
  for i in $(seq 0 599); do
    alive "$daemon_pid" || break
    if [ $((i % 50)) -eq 0 ]; then kill -TERM "$daemon_pid" 2>/dev/null || true; fi
    sleep 0.1
  done
  if alive "$daemon_pid"; then
    log "the daemon did not stop on SIGTERM within 60 s; killing it"
    stopped_by=SIGKILL
    kill -KILL "$daemon_pid" 2>/dev/null || true
  fi
  stop_seconds=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  if [ -n "$strace_pid" ]; then wait "$strace_pid" || true; else wait "$daemon_pid" || true; fi
  daemon_pid="" strace_pid=""
}

get() {
  local v
  v=$(sed -n "s/^$2=//p" "$work/$1.out" 2>/dev/null | head -1)
  echo "${v:-n/a}"
}

# ---- run 1: under strace -------------------------------------------------------------------------
log "$checks checks at $interval (20% flapping every ${flap}s), ${trace_s}s under strace, /status ${status_rate}/s"
run_daemon traced strace
pid=$daemon_pid
measure traced "$trace_s"
traced_stopped_by=$stopped_by traced_stop_seconds=$stop_seconds
grep -q 'seccomp' "$work/traced.log" && log "note: $(grep -m1 seccomp "$work/traced.log")"

# ---- the trace, per thread and per phase ---------------------------------------------------------
# A line: "TID SECONDS.MICROS call(args) = result", or "<... call resumed>" for the end of an interrupted
# call (skipped: its start was counted). With -y every fd prints as N<path>.
awk -v pid="$pid" -v ready="$t_ready" -v stop="$t_stop" -v state="$state_dir" '
  function phase(t) { return t < ready ? "startup" : (t > stop ? "shutdown" : "steady") }
  $3 ~ /^<\.\.\./ { next }
  {
    tid = $1; t = $2 + 0; call = $3; sub(/\(.*/, "", call)
    ph = phase(t); tids[tid] = 1
    kind = ""
    if (call == "connect") kind = "connect"
    else if (call == "fsync" || call == "fdatasync") kind = call
    else if (call == "openat" || call == "open" || call == "creat") {
      kind = "openat"
      if (match($0, /"[^"]*"/)) path = substr($0, RSTART + 1, RLENGTH - 2); else path = "?"
      if (ph == "steady" && tid == pid) opened[path]++
      if (ph == "steady" && tid != pid) {
        # Incident reviews are one file per incident: counted as one pattern.
        shown = path; if (index(shown, state) == 1) shown = "STATE_DIR" substr(shown, length(state) + 1)
        gsub(/incidents\/[^\/]*\.md/, "incidents/*.md", shown)
        other_opened[tid ": " shown]++
      }
    } else if (call ~ /^(write|pwrite64|writev|pwritev|pwritev2|ftruncate)$/) {
      # The fd and what it is: "write(2</tmp/x/daemon.log>, ..." or "write(9<socket:[123]>, ...".
      target = $3; sub(/^[a-z0-9]*\(/, "", target); fd = target; sub(/<.*/, "", fd)
      if (match(target, /<[^>]*>/)) what = substr(target, RSTART + 1, RLENGTH - 2); else what = ""
      if (fd == 1 || fd == 2) kind = "log_write"
      else if (index(what, state) == 1) kind = "state_write"
      else if (what ~ /^(socket|pipe|anon_inode):/) kind = "ipc_write"
      else if (what ~ /^\//) kind = "file_write"
      else kind = "ipc_write"
    } else kind = call
    n[tid, ph, kind]++
    if (kind == "connect" && ph == "steady") connects[tid]++
  }
  END {
    loop = pid; busiest = ""; most = -1
    for (tid in connects) if (connects[tid] > most) { most = connects[tid]; busiest = tid }
    other_connects = 0
    for (tid in connects) if (tid != pid) other_connects += connects[tid]
    threads = 0
    for (tid in tids) threads++
    printf "threads=%d\n", threads
    printf "loop_tid=%s\nloop_is_main_thread=%s\n", pid, (busiest == pid ? "yes" : "no")
    printf "connects_loop=%d\nconnects_other_threads=%d\n", connects[pid] + 0, other_connects
    split("fsync fdatasync openat state_write file_write log_write ipc_write rename unlink renameat renameat2 unlinkat", kinds, " ")
    for (p = 1; p <= 3; p++) {
      ph = (p == 1 ? "steady" : (p == 2 ? "startup" : "shutdown"))
      for (k = 1; k in kinds; k++) {
        mine = n[loop, ph, kinds[k]] + 0; theirs = 0
        for (tid in tids) if (tid != loop) theirs += n[tid, ph, kinds[k]]
        printf "%s_loop_%s=%d\n%s_other_%s=%d\n", ph, kinds[k], mine, ph, kinds[k], theirs
      }
    }
    paths = ""
    for (p in opened) paths = paths (paths == "" ? "" : ",") p "(" opened[p] ")"
    printf "steady_loop_opened=%s\n", (paths == "" ? "none" : paths)
    # Per thread, on stderr: what each did in steady state.
    printf "tid       connect  fsync fdatasync openat state_write file_write log_write ipc_write\n" > "/dev/stderr"
    for (tid in tids)
      printf "%-9s %7d %6d %9d %6d %11d %10d %9d %9d%s\n", tid, n[tid, "steady", "connect"], n[tid, "steady", "fsync"],
        n[tid, "steady", "fdatasync"], n[tid, "steady", "openat"], n[tid, "steady", "state_write"],
        n[tid, "steady", "file_write"], n[tid, "steady", "log_write"], n[tid, "steady", "ipc_write"],
        (tid == pid ? "  <- main thread (check loop)" : "") > "/dev/stderr"
    for (p in other_opened) printf "opened in steady state by %s (%d)\n", p, other_opened[p] > "/dev/stderr"
  }' "$work/trace" >"$work/counts.out"

# ---- run 2: the same without strace, for the lag ---------------------------------------------------
log "the same without strace, for the lag: ${lag_s}s quiet, then ${lag_s}s with /status ${status_rate}/s"
run_daemon plain
quiet quiet "$lag_s"
measure plain "$lag_s"

# ---- report --------------------------------------------------------------------------------------
echo "checks=$checks"
echo "interval=$interval"
echo "flap_period_s=$((flap * 2))"
echo "trace_seconds=$trace_s"
echo "lag_seconds=$lag_s"
cat "$work/counts.out"
echo "traced_stopped_by=$traced_stopped_by"
echo "traced_stop_seconds=$traced_stop_seconds"
echo "traced_runs_per_s=$(get traced-observe runs_per_s)"
echo "traced_due_per_s=$(get traced-observe due_per_s)"
echo "traced_lag_p99=$(get traced-observe lag_p99)"
echo "traced_lag_p99_ms=$(get traced-observe lag_p99_ms)"
echo "traced_status_rate=$(get traced-poll achieved_rate)"
echo "traced_incidents_open_at_end=$(get traced-observe incidents_open)"
echo "traced_checks_down_at_end=$(get traced-observe checks_down)"
echo "quiet_lag_p50=$(get quiet-observe lag_p50)"
echo "quiet_lag_p99=$(get quiet-observe lag_p99)"
echo "quiet_lag_p99_ms=$(get quiet-observe lag_p99_ms)"
echo "quiet_loop_cpu_share=$(get quiet-observe loop_cpu_share)"
echo "plain_runs_per_s=$(get plain-observe runs_per_s)"
echo "plain_lag_p50=$(get plain-observe lag_p50)"
echo "plain_lag_p99=$(get plain-observe lag_p99)"
echo "plain_lag_p99_ms=$(get plain-observe lag_p99_ms)"
echo "plain_status_rate=$(get plain-poll achieved_rate)"
echo "plain_status_requests=$(get plain-poll requests)"
echo "plain_status_failed=$(get plain-poll failed)"
echo "plain_status_p50_ms=$(get plain-poll p50_ms)"
echo "plain_status_p99_ms=$(get plain-poll p99_ms)"
echo "plain_status_bytes=$(get plain-poll body_bytes)"
echo "plain_loop_cpu_share=$(get plain-observe loop_cpu_share)"
echo "plain_incidents_open_at_end=$(get plain-observe incidents_open)"
echo "plain_checks_down_at_end=$(get plain-observe checks_down)"
