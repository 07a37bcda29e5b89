# synthprobe: `make demo`, `make test`. Dependencies come from Debian packages (scripts/install-deps.sh).
BUILD_DIR ?= build
SAN_BUILD_DIR ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_JOBS ?= $(shell nproc)
SANITIZE ?= 0
PREFIX ?= /usr/local
TSAN ?= 0
TSAN_BUILD_DIR ?= build-tsan
# Under ThreadSanitizer: the tests whose code runs on several threads (the daemon and its HTTP server,
# the state store's writer, remote_write's sender, the end-to-end runs of the binary, drills, the metrics
# snapshot, the resolver's shutdown mid-lookup beside its test servers' threads).
TSAN_TESTS ?= daemon_test parked_writes_test remote_write_test http_server_test state_store_test dispatcher_test incident_e2e_test fault_test multi_region_test drill_e2e_test check_metrics_test dns_resolver_test
CTEST_FILTER :=
BUILD_TARGETS :=

ifeq ($(SANITIZE),1)
  TEST_DIR := $(SAN_BUILD_DIR)
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DSYNTHPROBE_SANITIZE=ON
else ifeq ($(TSAN),1)
  TEST_DIR := $(TSAN_BUILD_DIR)
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYNTHPROBE_TSAN=ON
  CTEST_FILTER := -R '^($(shell echo $(TSAN_TESTS) | tr ' ' '|'))$$'
  BUILD_TARGETS := --target synthprobe $(TSAN_TESTS)
else
  TEST_DIR := $(BUILD_DIR)
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
endif

.PHONY: all deps test-deps build test demo clean install package fuzz

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# `make test` builds and runs every test; `make test SANITIZE=1` does the same under ASan+UBSan;
# `make test TSAN=1` runs the threaded parts under ThreadSanitizer.
test: test-deps
	@cmake -S . -B $(TEST_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TEST_DIR) -j $(JOBS) $(BUILD_TARGETS)
	@cd $(TEST_DIR) && ctest --output-on-failure -j $(CTEST_JOBS) $(CTEST_FILTER)

# `make install [PREFIX=/usr/local] [DESTDIR=...]`: the binary, man page, example configs, systemd unit
# and config, rules and dashboard (deploy/packaging.cmake says where each goes).
install: build
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# `make package`: the .deb (CPack), written to $(BUILD_DIR)/synthprobe_<version>_<arch>.deb.
package: build
	@cmake --build $(BUILD_DIR) --target package

# The embedded demo shop with a scripted outage, watched by the daemon; Ctrl-C stops it.
demo: build
	@$(BUILD_DIR)/synthprobe demo $(if $(LISTEN),--listen $(LISTEN),)

# libFuzzer targets (tests/fuzz, README "Fuzzing"): clang, ASan+UBSan, only the layers they read with.
# Each runs FUZZ_SECONDS against a copy of its seed corpus; a crash, leak, timeout or UB report fails.
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz:
	@scripts/install-deps.sh fuzz
	@cmake -S . -B $(FUZZ_BUILD_DIR) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DSYNTHPROBE_FUZZ=ON -DSYNTHPROBE_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j $(JOBS) --target fuzz_targets
	@tests/fuzz/run.sh $(FUZZ_BUILD_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR) $(TSAN_BUILD_DIR) $(FUZZ_BUILD_DIR)

# Performance benchmarks (benchmarks/run.sh): `make bench` (full, about 20 minutes) or `make bench-quick` (about 4).
.PHONY: bench bench-quick
bench:
	@benchmarks/run.sh full

bench-quick:
	@benchmarks/run.sh quick
