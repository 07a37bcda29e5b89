#!/usr/bin/env bash
# Runs each fuzz target for a bounded time against a working copy of its seed corpus (README "Fuzzing").
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]   (default: every target in tests/fuzz)
# The checked-in corpus (tests/fuzz/corpus/<name>) is only read: new inputs go to
# BUILD_DIR/fuzz-corpus/<name>, crashes to BUILD_DIR/fuzz-artifacts/<name>/, logs to BUILD_DIR/fuzz-logs/.
# Exits 1 when any target found a crash, leak, timeout or UB report.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: $0 BUILD_DIR SECONDS [TARGET...]}" && pwd)"
seconds="${2:?usage: $0 BUILD_DIR SECONDS [TARGET...]}"
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in "$here"/*_fuzz.cpp; do n="$(basename "$f")"; targets+=("${n%_fuzz.cpp}"); done
fi

dict_for() {
  case "$1" in
    config_loader) echo "$here/config_loader.dict" ;;
    incident|incident_tracker|outbox_event) echo "$here/json_readers.dict" ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=()
printf '%-17s %10s %8s %7s  %s\n' target runs exec/s corpus result
for name in "${targets[@]}"; do
  bin="$build/tests/fuzz/${name}_fuzz"
  corpus="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name/"
  log="$build/fuzz-logs/$name.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  cp -r "$here/corpus/$name/." "$corpus/"
  dict="$(dict_for "$name")"
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts" ${dict:+-dict="$dict"} "$corpus" >"$log" 2>&1
  rc=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  size="$(find "$corpus" -type f | wc -l)"
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc): $(grep -m1 -E 'runtime error|what\(\)|fuzz property|==[0-9]+==ERROR' "$log" || echo "see $log")"
    failed+=("$name")
  fi
  printf '%-17s %10s %8s %7s  %s\n' "$name" "${runs:-?}" "${rate:-?}" "$size" "$result"
done
if [ ${#failed[@]} -gt 0 ]; then
  for name in "${failed[@]}"; do
    echo "--- $name: $build/fuzz-logs/$name.log; input: $(ls -t "$build/fuzz-artifacts/$name/" | head -1)" >&2
    sed -n '/runtime error\|==ERROR\|fuzz property\|ALARM/,$p' "$build/fuzz-logs/$name.log" | grep -v '^    #[0-9]* 0x.* in fuzzer::\|libc_start\|in _start\|in main ' | head -n 40 >&2
  done
  exit 1
fi
