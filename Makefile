# SPDX-License-Identifier: MIT
#
# The commands a newcomer needs. CMake does the real work; this file only
# installs missing Debian packages (scripts/deps.sh), configures and runs.
#
#   make demo            build, then run `ndisbuf demo`
#   make test            build and run the unit tests (build/)
#   make test-asan       the same under ASan+UBSan (build-asan/)
#   make test-tsan       the same under TSan (build-tsan/)
#   make test-verifier   the unit tests again at each verifier level (NDISBUF_VERIFIER=1..4)
#   make bench           every benchmark, one summary table (BENCH_QUICK=1: brief)
#   make install PREFIX=/usr/local
#   make consumer-check  install into build/stage, build tests/consumer against it
#   make fuzz-smoke      libFuzzer harnesses (build-fuzz/, clang), 60 s each on fuzz/corpus
#   make fuzz FUZZ_SECONDS=1800   long runs; new inputs under FUZZ_WORK (docs/fuzzing.md)
#   make docs            API reference (Doxygen) in build/docs/html; checks man/ndisbuf.1
#   make clean
#
# CI=true turns warnings into errors (-DNDISBUF_WERROR=ON).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PREFIX     ?= /usr/local
JOBS       ?= 2
DEPS       ?= cmake gcc make pkg-config libcmocka-dev libpcap-dev libdw-dev
FUZZ_BUILD ?= build-fuzz
FUZZ_DEPS  ?= cmake clang libclang-rt-dev make pkg-config libpcap-dev
DOCS_DEPS  ?= doxygen graphviz groff-base
FUZZ_SECONDS ?= 1800
FUZZ_SMOKE_SECONDS ?= 60
FUZZ_JOBS  ?= 1
FUZZ_WORK  ?= $(or $(TMPDIR),/tmp)/ndisbuf-fuzz

NDISBUF    := $(BUILD)/tools/ndisbuf/ndisbuf
GENERATOR  := $(if $(shell command -v ninja 2>/dev/null),Ninja,Unix Makefiles)
comma      := ,
WERROR     := $(if $(filter-out 0 false no off,$(CI)),ON,OFF)

# $(call configure,DIR,BUILD_TYPE,EXTRA): the generator is chosen only for a
# new build tree (CMake refuses to change it later).
define configure
	cmake -S . -B $(1) $(if $(wildcard $(1)/CMakeCache.txt),,-G "$(GENERATOR)") \
	    -DCMAKE_BUILD_TYPE=$(2) -DNDISBUF_WERROR=$(WERROR) $(3)
	cmake --build $(1) -j$(JOBS)
endef

# $(call ctest,DIR): ctest prints its summary ("100% tests passed, 0 tests
# failed out of N") before the timing and the list of failures; move that line
# to the very end so it is the last thing `make test` prints.
define ctest
	ctest --test-dir $(1) --output-on-failure --no-tests=error -j$(JOBS) 2>&1 | \
	    awk '/^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+/ { s = $$0; next } \
	         { print; fflush() } END { if (s != "") print s }'
endef

.PHONY: build demo test test-asan test-tsan test-verifier bench install consumer-check docs deps clean help
.PHONY: fuzz-build fuzz-smoke fuzz fuzz-merge fuzz-seeds

help:
	@sed -n '3,18p' Makefile | sed 's/^# \{0,1\}//'

deps:
	scripts/deps.sh $(DEPS)

build: deps
	$(call configure,$(BUILD),RelWithDebInfo,-DNDISBUF_SANITIZE=)

demo: build
	./$(NDISBUF) demo

test: build
	$(call ctest,$(BUILD))

test-asan: deps
	$(call configure,$(ASAN_BUILD),Debug,-DNDISBUF_SANITIZE=address$(comma)undefined)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	$(call ctest,$(ASAN_BUILD))

test-tsan: deps
	$(call configure,$(TSAN_BUILD),Debug,-DNDISBUF_SANITIZE=thread)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	$(call ctest,$(TSAN_BUILD))

# Every test again with the verifier tracking each NBL: a false report fails it.
# Level 1 tracks who holds each NBL, 2 adds leak scans, poison and the
# quarantine, 3 each NBL's history, 4 call stacks (docs/verifier.md): each
# level runs the whole suite.
VERIFIER_LEVELS ?= 1 2 3 4
test-verifier: build
	for level in $(VERIFIER_LEVELS); do \
	    echo "== NDISBUF_VERIFIER=$$level"; \
	    NDISBUF_VERIFIER=$$level $(call ctest,$(BUILD)); \
	done

# DPDK is optional: install it when we can, carry on without it otherwise.
# bench/run.sh runs them all (callgrind counts too when valgrind is there),
# prints the summary table and writes it to $(BUILD)/bench/summary.md.
bench: deps
	scripts/deps.sh libdpdk-dev || echo "make bench: no libdpdk-dev, benchmarks run without the DPDK peer"
	$(call configure,$(BUILD),RelWithDebInfo,-DNDISBUF_SANITIZE=)
	cmake --build $(BUILD) --target bench -j$(JOBS)
	bench/run.sh $(BUILD)

install: deps
	$(call configure,$(BUILD),RelWithDebInfo,-DNDISBUF_SANITIZE= -DCMAKE_INSTALL_PREFIX=$(abspath $(PREFIX)))
	cmake --install $(BUILD)

consumer-check: build
	rm -rf $(BUILD)/stage $(BUILD)/consumer
	cmake --install $(BUILD) --prefix $(CURDIR)/$(BUILD)/stage
	tests/consumer/check.sh $(CURDIR)/$(BUILD)/stage $(CURDIR)/$(BUILD)/consumer

# The API reference (docs/Doxyfile; fails on any warning about a header) and
# a groff check of the man page: scripts/docs.sh.
docs:
	scripts/deps.sh $(DOCS_DEPS)
	scripts/docs.sh $(BUILD)/docs

# The libFuzzer harnesses need clang: a build tree of their own, only the
# `fuzz` target (the harnesses and fuzz_seeds). fuzz-smoke fails on any finding;
# its new inputs go to a scratch directory, never into the tree.
fuzz-build:
	scripts/deps.sh $(FUZZ_DEPS)
	CC=clang cmake -S . -B $(FUZZ_BUILD) $(if $(wildcard $(FUZZ_BUILD)/CMakeCache.txt),,-G "$(GENERATOR)") \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNDISBUF_WERROR=$(WERROR) -DNDISBUF_FUZZ=ON \
	    -DNDISBUF_BUILD_TESTS=OFF -DNDISBUF_SANITIZE=
	cmake --build $(FUZZ_BUILD) --target fuzz -j$(JOBS)

fuzz-smoke: fuzz-build
	rm -rf $(FUZZ_WORK)/smoke
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_WORK)/smoke

fuzz: fuzz-build
	fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_WORK) $(FUZZ_JOBS)

# After `make fuzz`: adds to fuzz/corpus/ the inputs of the run that reach new
# edges (edges only, -use_counters=0: the tree's corpus stays small).
fuzz-merge: fuzz-build
	for f in $(FUZZ_BUILD)/fuzz/fuzz_*; do \
	    n=$$(basename $$f); [ -f fuzz/$$n.c ] || continue; \
	    $$f -merge=1 -use_counters=0 fuzz/corpus/$$n $(FUZZ_WORK)/corpus/$$n 2>&1 | \
	        grep -E '^MERGE-OUTER: [0-9]+ new files'; \
	done

# Writes the seeds (fuzz/seeds.c) into fuzz/corpus/.
fuzz-seeds: fuzz-build
	$(FUZZ_BUILD)/fuzz/fuzz_seeds fuzz/corpus

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) $(FUZZ_BUILD)
