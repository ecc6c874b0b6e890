# nabla -- thin front door over CMake.
#
#   make / make build   install missing Debian packages, configure (once), build
#   make test           build, then run every test with CTest, then the same suite built with
#                       AddressSanitizer + UndefinedBehaviorSanitizer (make check-sanitize)
#   make check-sanitize only the sanitizer build (build-sanitize/) and its test run
#   make demo           build, then train an MLP on Fashion-MNIST and write a report ($(DEMO))
#   make bench          nabla side by side with PyTorch (bench/compare.py; installs python3-torch)
#   make deps           only install missing Debian packages
#   make fuzz           build the libFuzzer targets (Clang) into build-fuzz/, run each SECONDS (default 60)
#   make clean          remove build/
#
# Variables: JOBS (parallel jobs, default: nproc), BUILD_TYPE (default Release,
# used only when build/ is first configured), CMAKE_ARGS (extra configure
# arguments, same), DEMO (command run by `make demo`), BENCH_ARGS (e.g. --quick),
# SANITIZE (1: `make test` also runs the sanitizer suite; 0: skip it, for quick local runs).

JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
DEMO       ?= $(BUILD_DIR)/nabla train --model mlp:256,128 --data fashion-mnist --epochs 10 --name demo --force
BENCH_ARGS ?=
SANITIZE   ?= 1
SECONDS    ?= 60

# Keep CMake's own sub-make quiet about entering/leaving directories.
MAKEFLAGS += --no-print-directory

.DEFAULT_GOAL := build
.PHONY: deps build test check-sanitize demo bench fuzz clean

deps:
	scripts/install-deps.sh

build: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  echo "cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS)"; \
	  cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_ARGS); \
	fi
	cmake --build $(BUILD_DIR) -j$(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure --timeout 600 -j$(JOBS)
	@if [ "$(SANITIZE)" = 1 ]; then $(MAKE) check-sanitize; fi

# The whole suite under ASan + UBSan (CMakePresets.json, preset `sanitize`, which also sets
# ASAN_OPTIONS/UBSAN_OPTIONS for the tests): every report is fatal, leaks included. Its own
# tree, build-sanitize/, so the optimised build/ stays as it is.
check-sanitize: deps
	@if [ ! -f build-sanitize/CMakeCache.txt ]; then \
	  echo "cmake --preset sanitize $(CMAKE_ARGS)"; \
	  cmake --preset sanitize $(CMAKE_ARGS); \
	fi
	cmake --build build-sanitize -j$(JOBS)
	ctest --preset sanitize --timeout 900 -j$(JOBS)

demo: build
	$(DEMO)

bench: build
	/usr/bin/python3 bench/compare.py $(BENCH_ARGS)

fuzz:
	scripts/install-deps.sh
	JOBS=$(JOBS) fuzz/run.sh $(SECONDS)

clean:
	rm -rf $(BUILD_DIR) build-sanitize
