#!/usr/bin/python3
"""PyTorch's side of the side-by-side benchmark: the workloads of bench/workloads_bench.cpp,
the same models, data, hyper-parameters and timing, one JSON line per measurement.

Run by bench/compare.py, which sets the thread environment before Python starts (OpenBLAS
reads OPENBLAS_NUM_THREADS only at load time):

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_workloads.py --workload W2 --threads 2

Needs Debian's python3-torch, importable only by /usr/bin/python3.
"""
import argparse
import gzip
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    images = read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"))
    return (torch.from_numpy(images.copy()).unsqueeze(1),  # (N, 1, 28, 28) uint8
            torch.from_numpy(labels.astype(np.int64)))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def make_model(workload):
    if workload == "W1":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    if workload == "W2":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return lenet5()


def make_optimizer(workload, params):
    if workload == "W1":
        return torch.optim.SGD(params, lr=0.1)
    return torch.optim.Adam(params, lr=1e-3)


def batches(images, labels, batch_size, generator=None):
    n = images.shape[0]
    order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield images[idx].float().div_(255), labels[idx]


def test_accuracy(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in batches(images, labels, 256):
            correct += (model(x).argmax(1) == y).sum().item()
    model.train()
    return correct / images.shape[0]


def setting(threads):
    return f"torch omp={threads} openblas={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}"


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_training(workload, args, train, test):
    torch.manual_seed(args.seed)
    model = make_model(workload)
    optimizer = make_optimizer(workload, model.parameters())
    images, labels = train
    if args.limit:
        images, labels = images[:args.limit], labels[:args.limit]
    generator = torch.Generator().manual_seed(args.seed)
    seconds = []
    total = 1 if args.quick else args.epochs + 1
    model.train()
    for _ in range(total):
        start = time.perf_counter()
        for x, y in batches(images, labels, 64, generator):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        seconds.append(time.perf_counter() - start)
    if not args.quick:
        seconds = seconds[1:]
    return {"side": "torch", "workload": workload, "threads": args.threads, "setting": setting(args.threads),
            "epoch_seconds": seconds, "median_seconds": statistics.median(seconds), "min_seconds": min(seconds),
            "max_seconds": max(seconds), "train_examples": int(images.shape[0]), "epochs_trained": total,
            "test_accuracy": test_accuracy(model, *test), "peak_rss_mib": peak_rss_mib()}


def run_inference(args, test):
    torch.manual_seed(args.seed)
    model = lenet5().eval()
    images, labels = test
    seconds = []
    total = 1 if args.quick else args.epochs + 1
    with torch.no_grad():
        for _ in range(total):
            start = time.perf_counter()
            count = 0
            for x, _ in batches(images, labels, 256):
                count += model(x).shape[0]
            seconds.append(time.perf_counter() - start)
    if not args.quick:
        seconds = seconds[1:]
    median = statistics.median(seconds)
    return {"side": "torch", "workload": "W4", "threads": args.threads, "setting": setting(args.threads),
            "epoch_seconds": seconds, "median_seconds": median, "min_seconds": min(seconds),
            "max_seconds": max(seconds), "images": count, "images_per_second": count / median,
            "peak_rss_mib": peak_rss_mib()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="W1,W2,W3,W4")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.epochs = 1
        args.limit = args.limit or 2048
    torch.set_num_threads(args.threads)
    train, test = load("train"), load("t10k")
    for workload in args.workload.split(","):
        if workload in ("W1", "W2", "W3"):
            record = run_training(workload, args, train, test)
        elif workload == "W4":
            record = run_inference(args, test)
        else:
            sys.exit(f"torch_workloads.py: unknown workload {workload!r}")
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
