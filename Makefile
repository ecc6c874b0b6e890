# nabla -- thin front door over CMake.
#
#   make / make build   install missing Debian packages, configure (once), build
#   make test           build, then run every test with CTest
#   make demo           also install the Fashion-MNIST data, build, run $(DEMO)
#   make bench          build, then run every build/bench/*_bench
#   make deps           only install missing Debian packages
#   make clean          remove build/
#
# Variables: JOBS (parallel jobs, default: nproc), BUILD_TYPE (default Release,
# used only when build/ is first configured), CMAKE_ARGS (extra configure
# arguments, same), DEMO (program run by `make demo`).

JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
DEMO       ?= $(BUILD_DIR)/examples/logistic_regression

# Keep CMake's own sub-make quiet about entering/leaving directories.
MAKEFLAGS += --no-print-directory

.DEFAULT_GOAL := build
.PHONY: deps build test demo bench clean

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

# Sequential on purpose: the data set is installed before building and running.
demo:
	scripts/install-deps.sh --with-data
	$(MAKE) --no-print-directory build
	$(DEMO)

bench: build
	@set -e; found=0; \
	for b in $(BUILD_DIR)/bench/*_bench; do \
	  [ -x "$$b" ] || continue; found=1; \
	  echo "==> $$b"; "$$b"; \
	done; \
	[ $$found -eq 1 ] || echo "no benchmarks in $(BUILD_DIR)/bench/"

clean:
	rm -rf $(BUILD_DIR)
