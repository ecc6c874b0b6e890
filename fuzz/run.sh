#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [TARGET...] -- build nabla's libFuzzer targets into build-fuzz/ (Clang,
# NABLA_FUZZ=ON) and run each for SECONDS (default 60) on one core, over a copy of its seed
# corpus in fuzz/corpus/<target>/ so that runs never grow the committed one. Prints libFuzzer's
# "#N DONE" line per target, then a summary table; exits 1 if any target found a crash, a hang,
# a leak or a sanitizer report (the input is kept in build-fuzz/findings/<target>/).
#
# Environment: FUZZ_ARGS (more libFuzzer flags, e.g. -runs=10000000 to stop at a count instead),
# FUZZ_BUILD (build folder, default build-fuzz), CXX_FUZZ (compiler, default clang++),
# JOBS (build jobs, default nproc).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
all=(safetensors_fuzz idx_fuzz csv_fuzz spec_fuzz spec_json_fuzz)
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
build=${FUZZ_BUILD:-$root/build-fuzz}
cxx=${CXX_FUZZ:-clang++}

# Longest input per format: room for every valid seed file and a few more layers, tensors or
# rows, short enough to keep each execution fast (a gzipped IDX input still inflates to 1 MB).
max_len() {
  case "$1" in
    spec_fuzz) echo 256 ;;
    spec_json_fuzz) echo 2048 ;;
    *) echo 1024 ;;
  esac
}

if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNABLA_FUZZ=ON \
    -DNABLA_BUILD_TESTS=OFF -DNABLA_BUILD_EXAMPLES=OFF -DNABLA_BUILD_BENCH=OFF
fi
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
found=0
rows=()
for t in "${targets[@]}"; do
  findings=$build/findings/$t
  rm -rf "$findings"  # the last run's findings, reported then
  mkdir -p "$work/$t" "$findings"
  cp -r "$root/fuzz/corpus/$t" "$work/$t/corpus"
  dict=()
  [[ -f $root/fuzz/$t.dict ]] && dict=(-dict="$root/fuzz/$t.dict")
  echo "== $t: ${seconds}s, -max_len=$(max_len "$t")"
  status=0
  # shellcheck disable=SC2086 # FUZZ_ARGS holds several flags
  "$build/fuzz/$t" "$work/$t/corpus" "${dict[@]}" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
    -max_total_time="$seconds" -artifact_prefix="$findings/" -print_final_stats=1 ${FUZZ_ARGS:-} \
    >"$work/$t/log" 2>&1 || status=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t/log" | tail -1 || true)
  execs=$(sed -nE 's/^stat::number_of_executed_units:[[:space:]]*([0-9]+)/\1/p' "$work/$t/log" | tail -1)
  speed=$(sed -nE 's/^stat::average_exec_per_sec:[[:space:]]*([0-9]+)/\1/p' "$work/$t/log" | tail -1)
  artifacts=$(find "$findings" -type f | wc -l)
  if [[ $status -ne 0 || $artifacts -gt 0 ]]; then
    found=1
    result="FOUND ($artifacts file(s) in $findings)"
    grep -E 'ERROR|SUMMARY|runtime error|terminate|what\(\)' "$work/$t/log" | head -5 || true
    cp "$work/$t/log" "$findings/log.txt"
  else
    result="ok"
  fi
  echo "${done_line:-no DONE line (see $findings/log.txt)}"
  rows+=("$(printf '%-16s %12s %10s  %s' "$t" "${execs:-?}" "${speed:-?}" "$result")")
done

echo
printf '%-16s %12s %10s  %s\n' target executions exec/s result
printf '%s\n' "${rows[@]}"
exit $found
