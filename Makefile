# nabla -- thin front door over CMake.
#
#   make / make build   install missing Debian packages, configure (once), build
#   make test           build, then run every test with CTest
#   make demo           build, then train an MLP on Fashion-MNIST and write a report ($(DEMO))
#   make bench          nabla side by side with PyTorch (bench/compare.py; installs python3-torch)
#   make deps           only install missing Debian packages
#   make clean          remove build/
#
# Variables: JOBS (parallel jobs, default: nproc), BUILD_TYPE (default Release,
# used only when build/ is first configured), CMAKE_ARGS (extra configure
# arguments, same), DEMO (command run by `make demo`), BENCH_ARGS (e.g. --quick).

JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
BUILD_DIR  ?= build
BUILD_TYPE ?= Release
CMAKE_ARGS ?=
DEMO       ?= $(BUILD_DIR)/nabla train --model mlp:256,128 --data fashion-mnist --epochs 10 --name demo --force
BENCH_ARGS ?=

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

demo: build
	$(DEMO)

bench: build
	/usr/bin/python3 bench/compare.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD_DIR)
