#!/usr/bin/python3
"""nabla side by side with PyTorch, on this machine, in one run.

  bench/compare.py                  W1-W4, 3 timed epochs after a warm-up, threads 1 and 2
  bench/compare.py --quick          one short epoch per workload (a smoke run)
  bench/compare.py --workloads W1,W2 --epochs 5

Installs what it needs (Debian's python3-torch and dataset-fashion-mnist) through
scripts/install-deps.sh, builds nabla's side, then runs every workload as separate processes,
alternating nabla and PyTorch so that both see the same machine state: nabla with 1 and 2
threads; PyTorch with 1 thread, with 2 OpenMP threads and OPENBLAS_NUM_THREADS=1 (its fastest
two-thread setting here) and with its default (2 OpenMP threads and 2 OpenBLAS threads). Each
nabla result is compared with the fastest PyTorch setting measured for that workload.

Prints one JSON line per measurement as it comes, then the tables: workloads (median seconds per
epoch with min and max, the nabla/PyTorch ratio, test accuracy, peak resident memory, images/s
for W4), GEMM (nabla matmul, raw cblas_sgemm, the CPU's theoretical fp32 peak) and start-up time.
The JSON lines also go to build/bench/results.jsonl.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
NABLA_BENCH = os.path.join(BUILD, "bench", "workloads_bench")
GEMM_BENCH = os.path.join(BUILD, "bench", "gemm_table_bench")
NABLA_CLI = os.path.join(BUILD, "nabla")
TORCH_SIDE = os.path.join(ROOT, "bench", "torch_workloads.py")
TORCH_PYTHON = "/usr/bin/python3"  # Debian's python3-torch is importable only by this one


def emit(record, sink):
    line = json.dumps(record)
    print(line, flush=True)
    sink.write(line + "\n")
    sink.flush()


def run_json_lines(command, env=None):
    merged = dict(os.environ)
    merged.update(env or {})
    done = subprocess.run(command, env=merged, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"compare.py: {' '.join(command)} failed ({done.returncode}):\n{done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def prepare(args):
    if not args.no_install:
        flags = [] if args.nabla_only else ["--with-torch"]
        subprocess.run([os.path.join(ROOT, "scripts", "install-deps.sh")] + flags, check=True)
    if not os.path.exists(os.path.join(BUILD, "CMakeCache.txt")):
        subprocess.run(["cmake", "-S", ROOT, "-B", BUILD, "-DCMAKE_BUILD_TYPE=Release"], check=True)
    targets = ["workloads_bench", "gemm_table_bench"] + (["nabla_cli"] if os.path.exists(
        os.path.join(ROOT, "apps", "nabla")) else [])
    subprocess.run(["cmake", "--build", BUILD, "-j", str(os.cpu_count() or 2), "--target"] + targets, check=True)


def torch_settings(threads):
    # (label, torch threads, OPENBLAS_NUM_THREADS)
    if threads == 1:
        return [(1, "1")]
    return [(threads, "1"), (threads, str(threads))]


def workload_runs(args, sink):
    results = []
    common = ["--epochs", str(args.epochs)] + (["--quick"] if args.quick else [])
    for workload in args.workloads.split(","):
        for threads in args.threads:
            nabla = run_json_lines([NABLA_BENCH, "--workload", workload, "--threads", str(threads)] + common,
                                   {"OPENBLAS_NUM_THREADS": "1"})
            for r in nabla:
                emit(r, sink)
            results += nabla
            if args.nabla_only:
                continue
            for torch_threads, blas in torch_settings(threads):
                torch = run_json_lines([TORCH_PYTHON, TORCH_SIDE, "--workload", workload, "--threads",
                                        str(torch_threads)] + common, {"OPENBLAS_NUM_THREADS": blas,
                                                                       "OMP_NUM_THREADS": str(torch_threads)})
                for r in torch:
                    emit(r, sink)
                results += torch
    return results


def cpu_facts():
    model, mhz = "unknown", None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            if line.startswith("cpu MHz") and mhz is None:
                mhz = float(line.split(":", 1)[1])
    flags = open("/proc/cpuinfo").read()
    lanes = 8 if " avx2" in flags or " avx " in flags else 4  # fp32 lanes of a 256-bit FMA unit
    return {"model": model, "cores": os.cpu_count() or 1, "mhz": mhz, "fma_units": 2, "lanes": lanes}


def gemm_runs(args, sink):
    cpu = cpu_facts()
    records = run_json_lines([GEMM_BENCH] + (["--quick"] if args.quick else []), {"OPENBLAS_NUM_THREADS": "1"})
    for r in records:
        cores = min(r["threads"], cpu["cores"])
        r["peak_gflops"] = cores * cpu["fma_units"] * cpu["lanes"] * 2 * (cpu["mhz"] or 0) / 1000.0
        emit(r, sink)
    return records, cpu


def startup_runs(args, sink):
    records = []
    commands = []
    if os.path.exists(NABLA_CLI):
        commands.append(("nabla --version", [NABLA_CLI, "--version"]))
    if not args.nabla_only:
        commands.append(("python3 -c 'import torch'", [TORCH_PYTHON, "-c", "import torch"]))
    for label, command in commands:
        times = []
        for _ in range(3 if args.quick else 7):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        record = {"kind": "startup", "command": label, "median_seconds": statistics.median(times)}
        emit(record, sink)
        records.append(record)
    return records


def print_tables(results, gemm, cpu, startup):
    print()
    print(f"machine: {cpu['model']}, {cpu['cores']} cores; {time.strftime('%Y-%m-%d')}")
    header = f"{'workload':8} {'setting':30} {'median s':>9} {'min':>8} {'max':>8} {'ratio':>6} {'acc':>7} " \
             f"{'RSS MiB':>8} {'img/s':>8}"
    print(header)
    print("-" * len(header))
    for workload in sorted({r["workload"] for r in results}):
        rows = [r for r in results if r["workload"] == workload]
        torch_rows = [r for r in rows if r["side"] == "torch"]
        best = min((r["median_seconds"] for r in torch_rows), default=None)
        for r in rows:
            ratio = f"{r['median_seconds'] / best:6.2f}" if best and r["side"] == "nabla" else ""
            acc = f"{100 * r['test_accuracy']:6.2f}%" if "test_accuracy" in r else ""
            ips = f"{r['images_per_second']:8.0f}" if "images_per_second" in r else ""
            print(f"{workload:8} {r['setting']:30} {r['median_seconds']:9.3f} {r['min_seconds']:8.3f} "
                  f"{r['max_seconds']:8.3f} {ratio:>6} {acc:>7} {r['peak_rss_mib']:8.1f} {ips:>8}")
    if gemm:
        print()
        print(f"GEMM (float32, GFLOP/s; peak = cores x 2 FMA units x {cpu['lanes']} lanes x 2 x {cpu['mhz']:.0f} MHz "
              f"from /proc/cpuinfo)")
        print(f"{'shape MxKxN':20} {'threads':>7} {'nabla':>8} {'cblas':>8} {'peak':>8} {'nabla/peak':>10}")
        for r in gemm:
            print(f"{r['shape']:20} {r['threads']:7d} {r['nabla_gflops']:8.1f} {r['cblas_gflops']:8.1f} "
                  f"{r['peak_gflops']:8.1f} {r['nabla_gflops'] / r['peak_gflops']:10.2f}")
        if any(r["cblas_gflops"] > r["peak_gflops"] for r in gemm):
            print("note: measured GEMM beats this peak, so the cores ran above the clock /proc/cpuinfo reports "
                  "(turbo, or a virtual machine showing its nominal clock); read nabla/peak as relative only")
    if startup:
        print()
        for r in startup:
            print(f"start-up: {r['command']:28} {1000 * r['median_seconds']:8.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after the warm-up (default 3)")
    parser.add_argument("--threads", default="1,2", help="nabla thread counts (default 1,2)")
    parser.add_argument("--quick", action="store_true", help="one short epoch per workload")
    parser.add_argument("--nabla-only", action="store_true", help="skip PyTorch")
    parser.add_argument("--no-install", action="store_true", help="do not call scripts/install-deps.sh")
    parser.add_argument("--no-gemm", action="store_true", help="skip the GEMM table")
    args = parser.parse_args()
    args.threads = [int(t) for t in args.threads.split(",")]
    prepare(args)
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    with open(os.path.join(BUILD, "bench", "results.jsonl"), "w") as sink:
        results = workload_runs(args, sink)
        gemm, cpu = gemm_runs(args, sink) if not args.no_gemm else ([], cpu_facts())
        startup = startup_runs(args, sink)
    print_tables(results, gemm, cpu, startup)


if __name__ == "__main__":
    main()
