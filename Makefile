# Thin front door: the real build is CMake (build/), the real tests CTest and pytest.
BUILD   ?= build
PREFIX  ?= /usr/local
JOBS    ?= $(shell nproc)
NODES   ?= 4
PYTEST  ?= /usr/bin/python3 -m pytest
VCLUSTER = $(BUILD)/bin/vcluster

.PHONY: all build test unit-test integration-test vcluster vcluster-down bench install clean sanitize \
        stress report ci-regression test-uml test-qemu test-i386 kernel-uml kernel-i386

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

# Clusters of virtual machines and the product on them: boot, exec, migration between
# kernels, balancing, partition/crash/revive (slow; not in `test`). test-uml: 4 UML nodes;
# test-qemu: 3 QEMU x86_64 nodes, then 2 libvirt domains; test-i386: 2 QEMU IA32 nodes running the IA32 build
# (make build-i386, make vm-images ARCH=i386) and the stress suite's short run on them.
VM_TESTS = OMX_VM_TESTS=1 OMX_BUILD=$(abspath $(BUILD)) $(PYTEST) -v -s tests/integration/test_vm_nodes.py
test-uml: build
	OMX_VM_BACKEND=uml VCLUSTER_DIR=/run/vcluster-uml-test $(VM_TESTS)

# IA32: the product cross-built (build-i386), the i386 root file system with it installed.
test-i386: build
	bash ci/install-deps-i386
	$(MAKE) --no-print-directory build-i386
	$(MAKE) --no-print-directory vm-images ARCH=i386
	OMX_VM_BACKEND=qemu-i386 VCLUSTER_DIR=/run/vcluster-i386-test OMX_NODE_BUILD=$(abspath $(BUILD_I386)) \
	    OMX_VM_STRESS_SUITE=harness/suites/short-tcg.json $(VM_TESTS)

test-qemu: build
	OMX_VM_BACKEND=qemu VCLUSTER_DIR=/run/vcluster-qemu-test $(VM_TESTS)
	OMX_VM_TESTS=1 VCLUSTER_DIR=/run/vcluster-libvirt-test OMX_BUILD=$(abspath $(BUILD)) \
	    $(PYTEST) -v -s tests/integration/test_libvirt.py

# Unit tests under ASan/UBSan (used by CI).
sanitize:
	cmake -S . -B build-asan -G Ninja -DOMX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# Brings up $(NODES) nodes, waits until every daemon sees every node, prints the table.
# VCLUSTER_ARGS passes options, e.g. VCLUSTER_ARGS="--cpu 0.5" or "--auto".
# BACKEND=uml|qemu|qemu-i386: virtual machines (a kernel each) instead of network namespaces.
BACKEND ?= netns
vcluster: build
	$(VCLUSTER) up $(NODES) --backend $(BACKEND) $(VCLUSTER_ARGS)

vcluster-down: build
	$(VCLUSTER) down

# The stress suite on the running vcluster (make vcluster first): omx-stress runs in node 1
# and drives the omx-agent of every node; the four reports land in $(REPORT_DIR).
SUITE      ?= harness/suites/default.json
REPORT_DIR ?= $(abspath $(BUILD))/stress-report
stress: build
	$(VCLUSTER) exec 1 $(abspath $(BUILD))/bin/omx-stress --suite $(abspath $(SUITE)) --out $(REPORT_DIR)

# The HTML page again from $(REPORT_DIR)/results.json.
report: build
	$(BUILD)/bin/omx-report $(REPORT_DIR)/results.json --html $(REPORT_DIR)/report.html
	@echo "report: $(REPORT_DIR)/report.html"

# CI: a cluster of its own, the short suite, the reports, the cluster down again — also
# when the suite fails (the exit status is the suite's).
CI_VCLUSTER_DIR ?= /run/vcluster-ci-regression
ci-regression: build
	VCLUSTER_DIR=$(CI_VCLUSTER_DIR) $(VCLUSTER) down >/dev/null 2>&1 || true
	VCLUSTER_DIR=$(CI_VCLUSTER_DIR) $(VCLUSTER) up $(NODES) --cpu 0.5
	rc=0; VCLUSTER_DIR=$(CI_VCLUSTER_DIR) $(MAKE) --no-print-directory stress \
	    SUITE=harness/suites/short.json REPORT_DIR=$(REPORT_DIR) || rc=$$?; \
	  VCLUSTER_DIR=$(CI_VCLUSTER_DIR) $(VCLUSTER) down; exit $$rc

bench: build
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/cluster_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/migration_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/network_migration_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/balancing_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/stress_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/vm_bench.py
	OMX_BUILD=$(abspath $(BUILD)) /usr/bin/python3 tests/bench/mfs_bench.py

# A UML / IA32 kernel from Debian's linux-source with kernel/openmosix.config merged in,
# verified with omx-kernel-check (docs/kernel.md). Not part of `make test`: long, and
# cached in KERNEL_CACHE/<arch> (re-running does nothing when nothing changed).
# KERNEL_ARGS=--configure-only stops after the verified .config.
KERNEL_CACHE ?= $(abspath $(BUILD))/kernel
KERNEL_JOBS  ?= $(JOBS)
kernel-uml kernel-i386: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target omx-kernel-check
	OMX_BUILD=$(abspath $(BUILD)) OMX_KERNEL_CACHE=$(KERNEL_CACHE) JOBS=$(KERNEL_JOBS) \
	  kernel/build $(if $(filter kernel-uml,$@),um,i386) $(KERNEL_ARGS)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-asan

# Root file systems of QEMU/UML nodes (docs/vm-images.md): Debian from debootstrap with the
# product in /usr/local, cached in $OMX_VM_CACHE (/var/cache/openmosix/vm-images/ARCH/rootfs);
# a layer is rebuilt only when what it is made of changed. ARCH=amd64|i386 builds one; the
# product comes from $(BUILD) (amd64) and $(BUILD_I386) (i386, when it exists). Not in `test`.
BUILD_I386 ?= build-i386
VM_ARCH = $(if $(filter command line,$(origin ARCH)),$(ARCH),amd64 i386)
.PHONY: vm-images
vm-images: $(if $(filter amd64,$(VM_ARCH)),build)
	@set -e; for a in $(VM_ARCH); do \
	  case $$a in amd64) p=$(BUILD) ;; i386) p=$(BUILD_I386) ;; *) p= ;; esac; \
	  if [ -d "$$p" ]; then vm-images/build $$a --product "$$p"; else vm-images/build $$a; fi; \
	done

# The product cross-built for IA32 (i686) in $(BUILD_I386) with cmake/toolchain-i686.cmake
# (ci/install-deps-i386 first). Its binaries run on i386 kernels and on an x86_64 kernel with
# IA32 emulation, where every unit test then runs natively, ptrace and seccomp included.
# Without IA32 emulation, I386_EMULATOR=qemu-i386 builds in $(BUILD_I386)-qemu and runs the
# tests under qemu-user, leaving out I386_QEMU_SKIP: qemu-user emulates neither seccomp
# filters and their notifications nor ptrace nor pidfd_getfd (SeccompFilter, RemoteCalls,
# KernelFeatures), and /proc/<pid>/{mem,maps,stat,comm} of an emulated process are qemu's
# (the Forward tests that read their own memory, ProcMaps.ReadsOwnLayout, the /proc readers).
I386_EMULATOR  ?=
I386_DIR        = $(if $(I386_EMULATOR),$(BUILD_I386)-qemu,$(BUILD_I386))
I386_QEMU_SKIP ?= ^(SeccompFilter\..*|RemoteCalls\..*|Forward\.(GatherTakesInBuffersAndSizesOutBuffers|ScatterWritesOnlyWhatCameBack|VectoredCallsTravelAsOneBufferAndSpreadBack|RecvmsgTravelsAsRecvfromAndFillsTheMessageBack|SendmsgTravelsAsSendtoAndControlDataIsRefused|AnAddressComesBackNoLargerThanTheProcessSaid)|ArchI386\.SocketcallTravelsAsTheDirectCall|ProcMaps\.ReadsOwnLayout|KernelFeatures\.(SeccomplessKernelIsReportedMissing|ThisKernelHasEverythingRequiredAndFast)|ProcessSampler\.ReadsThisProcessFromProc|ProcessTable\.ReadsThisProcess|Guestd\.PidsFindsProcessesByName)$$
.PHONY: build-i386 unit-test-i386
$(I386_DIR)/CMakeCache.txt:
	cmake -S . -B $(I386_DIR) -G Ninja -DCMAKE_TOOLCHAIN_FILE=$(abspath cmake/toolchain-i686.cmake) \
	    -DOMX_I386_EMULATOR=$(I386_EMULATOR)

build-i386: $(I386_DIR)/CMakeCache.txt
	cmake --build $(I386_DIR) -j $(JOBS)

unit-test-i386: build-i386
	cd $(I386_DIR) && ctest --output-on-failure -j $(JOBS) $(if $(I386_EMULATOR),-E '$(I386_QEMU_SKIP)')
