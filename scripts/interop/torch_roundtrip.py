#!/usr/bin/python3
"""Shows that nabla checkpoints and PyTorch state dicts are interchangeable.

For the model specs `mlp:256,128` and `logreg` (inputs 1x28x28, 10 classes):
  1. nabla trains each model briefly and saves it (build/io_checkpoint_test, Interop.ExportForTorch);
     the equivalent torch.nn.Sequential loads the file with load_state_dict(load_file(path)),
     strict, and its logits are compared with nabla's on the same 64 inputs;
  2. PyTorch trains its own copy and saves the state_dict as safetensors; nabla loads it
     (Interop.ImportFromTorch) and its logits are compared with PyTorch's;
  3. nabla's files are re-serialised by this script's writer, which mirrors
     safetensors.torch.save_file, and must come out byte for byte identical.
With --run runs/<name> (a run of `nabla train` with an mlp or logreg spec, e.g. after `make demo`)
it also loads that run's model.safetensors into PyTorch, and compares PyTorch's logits on the
10,000 Fashion-MNIST test images with those `build/nabla predict` writes for the same file.

Run from the repository root after building:  /usr/bin/python3 scripts/interop/torch_roundtrip.py
Not part of `make test` (which must not need PyTorch). Exits non-zero on any mismatch.

The safetensors Python package is used when installed; Debian has no package for it, so
otherwise the format (an 8-byte little-endian header length, a JSON header, raw bytes) is read
and written below with struct and json, laid out exactly as the reference implementation does.
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import torch
from torch import nn

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "U8": torch.uint8,
          "I32": torch.int32, "F16": torch.float16, "BF16": torch.bfloat16, "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}
# The reference writer sorts by its Dtype enum, descending, then by name.
RANK = {"BOOL": 0, "U8": 1, "F16": 7, "BF16": 8, "I32": 9, "F32": 11, "F64": 12, "I64": 13}


def read_safetensors(path):
    """(tensors, metadata) like safetensors.torch.load_file plus the header's __metadata__."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        buf = bytearray(data[8 + n + begin:8 + n + end])
        flat = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"]).clone()
    return tensors, metadata


def serialize(tensors, metadata=None):
    """The bytes safetensors.torch.save_file(tensors, path, metadata) writes."""
    items = sorted(tensors.items(), key=lambda kv: (-RANK[NAMES[kv[1].dtype]], kv[0].encode()))
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in items:
        blob = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def load_file(path):
    try:
        from safetensors.torch import load_file as st_load_file
        return st_load_file(path)
    except ImportError:
        return read_safetensors(path)[0]


def save_file(tensors, path, metadata=None):
    try:
        from safetensors.torch import save_file as st_save_file
        st_save_file(tensors, path, metadata=metadata)
    except ImportError:
        with open(path, "wb") as f:
            f.write(serialize(tensors, metadata))


def torch_model(name):
    """The PyTorch equivalent of each nabla spec (docs/FORMATS.md)."""
    if name == "mlp":  # mlp:256,128
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    if name == "logreg":  # logreg
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    raise ValueError(name)


def torch_model_for_spec(spec):
    """PyTorch's nn.Sequential for a text spec `logreg` or `mlp:H1,H2,...` on 1x28x28 inputs."""
    if spec == "logreg":
        return torch_model("logreg")
    if not spec.startswith("mlp:") or "=" in spec:
        raise SystemExit(f"--run: this script rebuilds only 'logreg' and plain 'mlp:H1,...' specs, not '{spec}'")
    sizes = [784] + [int(h) for h in spec[4:].split(",")]
    layers = [nn.Flatten()]
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(sizes[-1], 10))


def check_run(run, cli, directory):
    """Largest logit difference between PyTorch and `nabla predict` for a CLI run's model."""
    path = os.path.join(run, "model.safetensors")
    _, metadata = read_safetensors(path)
    model = torch_model_for_spec(metadata["nabla.spec"])
    model.load_state_dict(load_file(path))
    model.eval()
    images = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
    predictions = os.path.join(directory, "run_predictions.safetensors")
    subprocess.run([cli, "predict", "--checkpoint", path, "--input", images, "--output", predictions],
                   check=True, capture_output=True)
    import gzip
    with gzip.open(images, "rb") as f:
        raw = f.read()
    x = torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(-1, 1, 28, 28).float() / 255
    return compare(f"{metadata['nabla.spec']} ({run})", load_file(predictions)["output"], model(x))


def run_nabla(binary, test, directory):
    env = dict(os.environ, NABLA_INTEROP_DIR=directory)
    result = subprocess.run([binary, f"--gtest_filter=Interop.{test}"], env=env, capture_output=True, text=True)
    if result.returncode != 0 or "[  PASSED  ] 1 test" not in result.stdout:
        sys.exit(f"{binary} Interop.{test} failed:\n{result.stdout}\n{result.stderr}")


def compare(label, ours, theirs):
    diff = (ours - theirs).abs().max().item()
    agree = (ours.argmax(1) == theirs.argmax(1)).float().mean().item()
    scale = theirs.abs().max().item()
    print(f"  {label:<22} max |diff| = {diff:.3e} (logits up to {scale:.2f})   same argmax: {agree * 100:.1f}%")
    return diff, agree


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default="build/io_checkpoint_test", help="nabla's checkpoint test executable")
    parser.add_argument("--dir", help="keep the files here (default: a temporary directory)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed logit difference")
    parser.add_argument("--run", help="also check this `nabla train` run directory's model.safetensors")
    parser.add_argument("--cli", default="build/nabla", help="the nabla command-line tool (for --run)")
    args = parser.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="nabla_interop_")
    os.makedirs(directory, exist_ok=True)
    torch.set_grad_enabled(False)
    worst, ok = 0.0, True

    print(f"nabla -> PyTorch  (files in {directory})")
    run_nabla(args.binary, "ExportForTorch", directory)
    x = load_file(f"{directory}/inputs.safetensors")["x"]
    for name in ("mlp", "logreg"):
        path = f"{directory}/nabla_{name}.safetensors"
        tensors, metadata = read_safetensors(path)
        model = torch_model(name)
        model.load_state_dict(load_file(path))  # strict: same keys, same shapes
        model.eval()
        diff, agree = compare(f"{metadata['nabla.spec']} logits", model(x), load_file(
            f"{directory}/nabla_{name}_out.safetensors")["y"])
        worst, ok = max(worst, diff), ok and agree == 1.0
        with open(path, "rb") as f:
            same_bytes = f.read() == serialize(tensors, metadata)
        print(f"  {'':<22} file bytes identical to safetensors.torch.save_file's: {same_bytes}")
        ok = ok and same_bytes

    print("PyTorch -> nabla")
    torch.manual_seed(0)
    outputs = {}
    for name in ("mlp", "logreg"):
        model = torch_model(name)
        with torch.enable_grad():
            data, labels = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
            sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            for _ in range(5):
                sgd.zero_grad()
                nn.functional.cross_entropy(model(data), labels).backward()
                sgd.step()
        model.eval()
        save_file(model.state_dict(), f"{directory}/torch_{name}.safetensors")
        outputs[name] = model(x)
    run_nabla(args.binary, "ImportFromTorch", directory)
    for name in ("mlp", "logreg"):
        nabla_out = load_file(f"{directory}/torch_{name}_nabla_out.safetensors")["y"]
        diff, agree = compare(f"{name} logits", nabla_out, outputs[name])
        worst, ok = max(worst, diff), ok and agree == 1.0

    if args.run:
        print("nabla train run -> PyTorch")
        diff, agree = check_run(args.run, args.cli, directory)
        worst, ok = max(worst, diff), ok and agree == 1.0

    ok = ok and worst <= args.tolerance
    print(f"largest logit difference {worst:.3e} (tolerance {args.tolerance:g}): {'OK' if ok else 'MISMATCH'}")
    if ok and not args.dir:
        shutil.rmtree(directory)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
