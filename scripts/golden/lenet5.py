"""Golden LeNet-5 for tests/nn/cnn_models_test.cpp (CnnModels.LeNet5MatchesTorchLogits): PyTorch's
nn.Sequential LeNet-5 (the layout of nabla::nn::lenet5(), benchmark workload W3) with weights from
torch.manual_seed(0), trained a few SGD steps on random data so that no weight keeps its
initial distribution, then saved as safetensors together with a fixed batch of 4 inputs and the
logits PyTorch gives for them (float32, and float64 from the same weights).

Writes tests/golden/lenet5.safetensors (the state dict, 247 KB) and
tests/golden/lenet5_batch.safetensors (input (4, 1, 28, 28), logits (4, 10), logits64 (4, 10)).
Run: /usr/bin/python3 scripts/golden/lenet5.py"""
import os
import sys

import torch
from torch import nn

from common import GOLDEN, ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts", "interop"))
from torch_roundtrip import save_file  # noqa: E402  (safetensors.torch's layout, without the package)


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def main():
    torch.manual_seed(0)
    model = lenet5()
    data, labels = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    sgd = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(5):
        sgd.zero_grad()
        nn.functional.cross_entropy(model(data), labels).backward()
        sgd.step()
    model.eval()
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        logits = model(x)
        logits64 = lenet5().double().eval()
        logits64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        logits64 = logits64(x.double())
    os.makedirs(GOLDEN, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(GOLDEN, "lenet5.safetensors"),
              metadata={"generator": "scripts/golden/lenet5.py", "torch": torch.__version__})
    save_file({"input": x, "logits": logits, "logits64": logits64}, os.path.join(GOLDEN, "lenet5_batch.safetensors"),
              metadata={"generator": "scripts/golden/lenet5.py", "torch": torch.__version__})
    print("wrote", os.path.join(GOLDEN, "lenet5.safetensors"), "and lenet5_batch.safetensors; logits", logits[0].tolist())


if __name__ == "__main__":
    main()
