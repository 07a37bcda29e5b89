# synthprobe: `make demo`, `make test`. Dependencies come from Debian packages (scripts/install-deps.sh).
BUILD_DIR ?= build
SAN_BUILD_DIR ?= build-asan
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CTEST_JOBS ?= $(shell nproc)
SANITIZE ?= 0

ifeq ($(SANITIZE),1)
  TEST_DIR := $(SAN_BUILD_DIR)
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=Debug -DSYNTHPROBE_SANITIZE=ON
else
  TEST_DIR := $(BUILD_DIR)
  CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
endif

.PHONY: all deps test-deps build test demo clean

all: build

deps:
	@scripts/install-deps.sh build

test-deps:
	@scripts/install-deps.sh test

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# `make test` builds and runs every test; `make test SANITIZE=1` does the same under ASan+UBSan.
test: test-deps
	@cmake -S . -B $(TEST_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TEST_DIR) -j $(JOBS)
	@cd $(TEST_DIR) && ctest --output-on-failure -j $(CTEST_JOBS)

# The embedded demo shop with a scripted outage, watched by the daemon; Ctrl-C stops it.
demo: build
	@$(BUILD_DIR)/synthprobe demo $(if $(LISTEN),--listen $(LISTEN),)

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR)

# Performance benchmarks (benchmarks/run.sh): `make bench` (full, about 20 minutes) or `make bench-quick` (about 4).
.PHONY: bench bench-quick
bench:
	@benchmarks/run.sh full

bench-quick:
	@benchmarks/run.sh quick
