# Sourced by benchmarks/run.sh: dnsmasq on 127.0.0.1 as the resolver the name-vs-IP row looks names up in.
#
# start_dnsmasq DIR PORT serves bench.test -> 127.0.0.1 (A; AAAA answered NODATA) and nothing else (no
# upstream, no hosts file, no cache misses beyond .test), and sets:
#   dnsmasq_server  "127.0.0.1:PORT", for [probe] dns_servers / bench_checks --dns-server;
#   dnsmasq_pid     its process.
# stop_dnsmasq stops it. Returns 1 when dnsmasq is not installed or does not start.

start_dnsmasq() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || { echo "dnsmasq is not installed" >&2; return 1; }
  # --local-ttl=0: answers carry TTL 0 (fresh-connection checks look up every run anyway).
  /usr/sbin/dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=/dev/null \
    --listen-address=127.0.0.1 --bind-interfaces --port="$port" --local=/test/ \
    --host-record=bench.test,127.0.0.1 --local-ttl=0 --pid-file= --user=root \
    >"$dir/dnsmasq.log" 2>&1 &
  dnsmasq_pid=$!
  dnsmasq_server="127.0.0.1:$port"
  sleep 0.3
  kill -0 "$dnsmasq_pid" 2>/dev/null || { echo "dnsmasq did not start: $(cat "$dir/dnsmasq.log")" >&2; dnsmasq_pid=""; return 1; }
}

stop_dnsmasq() {
  [ -n "${dnsmasq_pid:-}" ] || return 0
  kill "$dnsmasq_pid" 2>/dev/null
  wait "$dnsmasq_pid" 2>/dev/null
  dnsmasq_pid=""
}
