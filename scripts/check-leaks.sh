#!/usr/bin/env bash
# check-leaks.sh -- run small but complete training runs under valgrind's memcheck; fails on a
# memory error or a definite leak, and prints each run's leak summary.
#
# Usage: scripts/check-leaks.sh [BUILD_DIR]      (default: build-valgrind, next to build/)
#   JOBS=N   parallel build jobs (default 2)
#
# Valgrind (3.19 in Debian 12) cannot execute AVX-512 instructions, which -march=native emits on
# such CPUs, so the programs are built in their own tree with NABLA_NATIVE=OFF and debug info.
# OpenBLAS picks its kernels at run time from the CPU valgrind reports and needs nothing.
#
# The runs (valgrind makes them 50 to 100 times slower; about a minute in all after the build):
#   1. examples/xor: a hand-written loop (forward, backward, step) and the perceptron
#   2. nabla train on moons with dropout: fit(), validation, checkpoints, history, the report
#   3. nabla train --resume of that run: loading the training state and continuing
#   4. nabla train lenet5 on 320 random 28x28 images in MNIST's IDX format: convolution,
#      pooling, the IDX reader and the report's image grids (Fashion-MNIST itself would take
#      15 minutes under valgrind)
# Only definite leaks count. nabla's tensor cache is never destroyed (static tensors may be
# freed after every other static destructor) and holds its blocks by aligned pointers into
# them, which valgrind reports as "possibly lost"; OpenBLAS's buffers are "still reachable".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build-valgrind}"
jobs="${JOBS:-2}"

if ! command -v valgrind >/dev/null; then
  echo "check-leaks: valgrind is not installed (sudo apt-get install valgrind)" >&2
  exit 2
fi

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNABLA_NATIVE=OFF \
    -DNABLA_BUILD_TESTS=OFF -DNABLA_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build" -j"$jobs" --target nabla_cli xor

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

# check NAME COMMAND...: runs COMMAND under memcheck and prints its summary lines.
check() {
  local name="$1"
  shift
  local log="$work/$name.valgrind"
  echo "== $name: $*"
  if valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
       --error-exitcode=1 --log-file="$log" "$@" >"$work/$name.out" 2>&1; then
    grep -E "definitely lost|All heap blocks were freed|ERROR SUMMARY" "$log" | sed 's/^==[0-9]*== */   /'
  else
    echo "   FAILED (exit $?): the program's output is in $name.out, valgrind's report follows"
    cat "$work/$name.out" "$log"
    status=1
  fi
}

check xor "$build/examples/xor"
check train "$build/nabla" train --model mlp:32:dropout=0.2 --data moons --epochs 3 --out "$work/runs" \
  --name leaks --quiet
check resume "$build/nabla" train --resume "$work/runs/leaks" --epochs 4 --quiet

# A tiny MNIST-format directory: 256 training and 64 test images of noise, labels 0-9.
/usr/bin/python3 - "$work/mnist" <<'EOF'
import os, random, struct, sys
out = sys.argv[1]
os.makedirs(out)
rng = random.Random(0)
for split, n in (("train", 256), ("t10k", 64)):
    with open(f"{out}/{split}-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes(rng.randrange(256) for _ in range(n * 784)))
    with open(f"{out}/{split}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n)))
EOF
check lenet5 "$build/nabla" train --model lenet5 --data mnist --data-dir "$work/mnist" --epochs 2 --out "$work/runs" \
  --name lenet5 --quiet

if [ "$status" -eq 0 ]; then echo "check-leaks: no memory errors, definitely lost: 0"; fi
exit "$status"
