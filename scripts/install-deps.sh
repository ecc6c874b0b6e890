#!/usr/bin/env bash
# install-deps.sh -- install the Debian packages nabla needs, and nothing else.
#
# Usage: scripts/install-deps.sh [--with-torch]
#   (no flag)     build + test dependencies (compiler, CMake, BLAS, GoogleTest, ...)
#                 and the real Fashion-MNIST data set (dataset-fashion-mnist: gzipped
#                 IDX files under /usr/share/datasets/fashion-mnist/, 30 MB), which
#                 the CLI tests and the benchmark smoke run train on
#   --with-torch  also PyTorch + NumPy (python3-torch python3-numpy), only to
#                 regenerate golden values and compare benchmarks; the tests
#                 never need them
#
# If every package is already installed it prints one line and exits 0 without
# touching apt. Otherwise it runs `apt-get update` and installs only the missing
# packages (with sudo when not root).
set -euo pipefail

# Build and test dependencies.
packages=(
  build-essential
  cmake
  pkg-config
  libopenblas-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  nlohmann-json3-dev
  libcli11-dev
  zlib1g-dev
  dataset-fashion-mnist
  clang                 # the AddressSanitizer + UBSan build of the suite (make check-sanitize)
  libclang-rt-14-dev    # clang's sanitizer runtimes
)

# Prints the comment block at the top of this file.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

for arg in "$@"; do
  case "$arg" in
    --with-torch) packages+=(python3-torch python3-numpy) ;;
    -h|--help)    usage; exit 0 ;;
    *)            echo "install-deps.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
  esac
done

# A package counts as installed when dpkg reports "install ok installed".
is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for pkg in "${packages[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#packages[@]} required packages are already installed."
  exit 0
fi

echo "install-deps.sh: missing packages: ${missing[*]}"

# Root runs apt-get directly; anyone else goes through sudo if it exists.
if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-deps.sh: not root and sudo is not available. As root, run:" >&2
  echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update
${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"

echo "install-deps.sh: installed: ${missing[*]}"
