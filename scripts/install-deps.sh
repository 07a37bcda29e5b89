#!/usr/bin/env bash
# Installs synthprobe's build and test dependencies from Debian 12 packages.
# Idempotent and quiet when nothing is missing. Usage: scripts/install-deps.sh [build|test|bench|fuzz]
set -euo pipefail

build_pkgs=(
  g++ cmake make pkg-config
  libcurl4-openssl-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  prometheus-cpp-dev
  libtomlplusplus-dev
  doctest-dev
  libre2-dev
  libssl-dev
  libsqlite3-dev
  libhowardhinnant-date-dev
  libc-ares-dev
  libjemalloc-dev
  libprotobuf-dev protobuf-compiler libsnappy-dev
  tzdata
)
# Real peers the tests talk to.
# dnsmasq-base: the dnsmasq binary without the system service (tests and benchmarks start their own on loopback).
test_pkgs=(dpkg-dev nginx-light openssl prometheus prometheus-alertmanager chromium groff-base dnsmasq-base)
bench_pkgs=(nginx-light wrk libbenchmark-dev prometheus-blackbox-exporter strace)
# libFuzzer and the sanitizer runtimes come with clang (`make fuzz`).
fuzz_pkgs=(clang libclang-rt-14-dev)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test_pkgs[@]}") ;;
  bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  fuzz) want+=("${fuzz_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|bench|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# Services must not start on their own: tests start their own instances on loopback.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
