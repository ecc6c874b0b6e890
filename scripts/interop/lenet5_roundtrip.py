#!/usr/bin/python3
"""Shows that LeNet-5 checkpoints move between nabla's CLI and PyTorch unchanged, both ways.

  1. nabla -> PyTorch: `nabla train --model lenet5` trains briefly on a Fashion-MNIST subset;
     PyTorch's nn.Sequential LeNet-5 (the layout docs/MODELS.md gives) loads the checkpoint with
     load_state_dict (strict), and its logits for 64 inputs are compared with those of
     `nabla predict` on the same inputs;
  2. PyTorch -> nabla: PyTorch trains its own LeNet-5 a few steps and saves the state dict as
     safetensors with the metadata nabla's checkpoints carry (nabla.spec = lenet5, the input
     shape and the number of outputs); `nabla predict` runs it and its logits are compared with
     PyTorch's.

Run from the repository root after building (`make` or cmake --build build):
    /usr/bin/python3 scripts/interop/lenet5_roundtrip.py [--nabla build/nabla]
Not part of `make test` (which must not need PyTorch). Exits non-zero on any mismatch. Reads and
writes safetensors with scripts/interop/torch_roundtrip.py's helpers (the safetensors package
when installed, else the same format by hand).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_roundtrip import compare, load_file, save_file  # noqa: E402


def lenet5():
    """nabla's `lenet5` spec and nn::lenet5(), in PyTorch (benchmark workload W3)."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def nabla(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{binary} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def nabla_logits(binary, checkpoint, inputs, directory, name):
    out = os.path.join(directory, f"{name}_out.safetensors")
    nabla(binary, "predict", "--checkpoint", checkpoint, "--input", inputs, "--output", out)
    return load_file(out)["output"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nabla", default="build/nabla", help="the nabla command-line tool")
    parser.add_argument("--dir", help="keep the files here (default: a temporary directory)")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest logit difference relative to the "
                        "largest logit")
    args = parser.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="nabla_lenet5_")
    os.makedirs(directory, exist_ok=True)
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    x = torch.rand(64, 1, 28, 28)
    inputs = os.path.join(directory, "inputs.safetensors")
    save_file({"input": x}, inputs)
    worst, ok = 0.0, True

    print(f"nabla -> PyTorch  (files in {directory})")
    nabla(args.nabla, "train", "--model", "lenet5", "--data", "fashion-mnist", "--limit", "2000", "--epochs", "1",
          "--out", directory, "--name", "nabla_lenet5", "--quiet")
    checkpoint = os.path.join(directory, "nabla_lenet5", "model.safetensors")
    model = lenet5()
    tensors = load_file(checkpoint)
    model.load_state_dict(tensors)  # strict: the same keys and shapes
    model.eval()
    ours, theirs = nabla_logits(args.nabla, checkpoint, inputs, directory, "nabla"), model(x)
    diff, agree = compare("lenet5 logits", ours, theirs)
    worst, ok = max(worst, diff / theirs.abs().max().item()), ok and agree == 1.0

    print("PyTorch -> nabla")
    model = lenet5()
    with torch.enable_grad():
        data, labels = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
        sgd = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for _ in range(10):
            sgd.zero_grad()
            nn.functional.cross_entropy(model(data), labels).backward()
            sgd.step()
    model.eval()
    checkpoint = os.path.join(directory, "torch_lenet5.safetensors")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, checkpoint,
              metadata={"nabla.spec": "lenet5", "nabla.input_shape": json.dumps([1, 28, 28]),
                        "nabla.num_outputs": "10"})
    ours, theirs = nabla_logits(args.nabla, checkpoint, inputs, directory, "torch"), model(x)
    diff, agree = compare("lenet5 logits", ours, theirs)
    worst, ok = max(worst, diff / theirs.abs().max().item()), ok and agree == 1.0

    ok = ok and worst <= args.tolerance
    print(f"largest logit difference relative to the largest logit {worst:.3e} (tolerance {args.tolerance:g}): "
          f"{'OK' if ok else 'MISMATCH'}")
    if ok and not args.dir:
        shutil.rmtree(directory)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
