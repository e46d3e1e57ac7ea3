# Thin front door: the real build is CMake (build/), the real tests CTest and pytest.
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc)
NODES   ?= 4
PYTEST  ?= /usr/bin/python3 -m pytest
VCLUSTER = $(BUILD)/bin/vcluster

.PHONY: all build test unit-test integration-test vcluster vcluster-down bench install clean sanitize

all: build

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -G Ninja

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

unit-test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

integration-test: build
	OMX_BUILD=$(abspath $(BUILD)) $(PYTEST) -v tests/integration

test: unit-test integration-test

# Unit tests under ASan/UBSan (used by CI).
sanitize:
	cmake -S . -B build-asan -G Ninja -DOMX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# Brings up $(NODES) nodes, waits until every daemon sees every node, prints the table.
# VCLUSTER_ARGS passes options, e.g. VCLUSTER_ARGS="--cpu 0.5" or "--auto".
vcluster: build
	$(VCLUSTER) up $(NODES) $(VCLUSTER_ARGS)

vcluster-down: build
	$(VCLUSTER) down

bench: build
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/cluster_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/migration_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/network_migration_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/balancing_bench.py

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-asan
