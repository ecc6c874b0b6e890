"""Shared helpers for the golden-value generators: run with Debian's /usr/bin/python3
(which has python3-torch); each generator writes tests/golden/<name>.json."""
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "tests", "golden")


def t2j(t):
    """A tensor as {"shape": [...], "data": [...]} in float64, row-major."""
    t = torch.as_tensor(t).detach().to(torch.float64).contiguous()
    return {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


def write(name, payload):
    os.makedirs(GOLDEN, exist_ok=True)
    path = os.path.join(GOLDEN, name + ".json")
    with open(path, "w") as f:
        json.dump({"generator": f"scripts/golden/{name}.py", "torch": torch.__version__, **payload}, f, indent=1)
        f.write("\n")
    print("wrote", path)
