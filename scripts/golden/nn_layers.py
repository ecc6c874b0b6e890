"""Golden values for nabla's layers and activations (tests/nn/linear_test.cpp,
activation_test.cpp, init_test.cpp, module_test.cpp): forward outputs and input gradients for a
fixed upstream gradient, Linear with its weights, printed modules, state_dict keys, init gains and
fans. Run: /usr/bin/python3 scripts/golden/nn_layers.py"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import t2j, write

torch.manual_seed(0)
D = torch.float64

# (function name, keyword args as nabla's functional takes them, torch module or None)
ACTIVATIONS = [
    ("relu", {}, nn.ReLU()),
    ("sigmoid", {}, nn.Sigmoid()),
    ("tanh", {}, nn.Tanh()),
    ("leaky_relu", {}, nn.LeakyReLU()),
    ("leaky_relu", {"negative_slope": 0.2}, nn.LeakyReLU(0.2)),
    ("elu", {}, nn.ELU()),
    ("elu", {"alpha": 0.5}, nn.ELU(alpha=0.5)),
    ("gelu", {"approximate": "none"}, nn.GELU()),
    ("gelu", {"approximate": "tanh"}, nn.GELU(approximate="tanh")),
    ("softplus", {}, nn.Softplus()),
    ("softplus", {"beta": 2, "threshold": 1}, nn.Softplus(beta=2, threshold=1)),
    ("softplus", {"beta": 0.5, "threshold": 3}, nn.Softplus(beta=0.5, threshold=3)),
    ("softmax", {"dim": 1}, nn.Softmax(dim=1)),
    ("softmax", {"dim": 0}, nn.Softmax(dim=0)),
    ("log_softmax", {"dim": 1}, nn.LogSoftmax(dim=1)),
    ("log_softmax", {"dim": -1}, nn.LogSoftmax(dim=-1)),
]


def run(module, x, g):
    x = x.clone().requires_grad_()
    y = module(x)
    y.backward(g)
    return y, x.grad


def activation_cases():
    cases = []
    # Exact kinks and thresholds: 0 for relu/leaky/elu, beta x == threshold for softplus
    # (0.5 * 2 == 1, 6 * 0.5 == 3, 20 * 1 == 20), both sides of each.
    kinks = torch.tensor([-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 6.0, 10.0, 20.0, 25.0, -30.0, 30.0], dtype=D)
    for fn, kwargs, module in ACTIVATIONS:
        inputs = [("random", torch.randn(3, 5, dtype=D) * 2)]
        if fn in ("softmax", "log_softmax"):
            inputs.append(("random3d", torch.randn(2, 3, 4, dtype=D) * 3))
        else:
            inputs.append(("kinks", kinks))
        for label, x in inputs:
            g = torch.randn(x.shape, dtype=D)
            y, gx = run(module, x, g)
            cases.append({"fn": fn, "args": kwargs, "input": label, "repr": str(module),
                          "x": t2j(x), "g": t2j(g), "y": t2j(y), "grad": t2j(gx)})
    # Heaviside step (torch.heaviside with value 0 at 0); its gradient is nabla's convention.
    x = torch.cat([torch.randn(7, dtype=D), torch.tensor([0.0, -0.0], dtype=D)])
    cases.append({"fn": "step", "args": {}, "input": "random", "repr": "Step()",
                  "x": t2j(x), "y": t2j(torch.heaviside(x, torch.tensor(0.0, dtype=D)))})
    return cases


def linear_cases():
    cases = []
    for name, (inp, out, bias), xshape in [
        ("batched3d", (5, 3, True), (2, 4, 5)),
        ("matrix_no_bias", (4, 2, False), (3, 4)),
        ("vector", (5, 3, True), (5,)),
    ]:
        lin = nn.Linear(inp, out, bias=bias).double()
        x = torch.randn(xshape, dtype=D).requires_grad_()
        y = lin(x)
        g = torch.randn(y.shape, dtype=D)
        y.backward(g)
        case = {"name": name, "in": inp, "out": out, "bias": bias, "repr": str(lin),
                "state": {k: t2j(v) for k, v in lin.state_dict().items()},
                "x": t2j(x), "g": t2j(g), "y": t2j(y), "grad_x": t2j(x.grad), "grad_weight": t2j(lin.weight.grad)}
        if bias:
            case["grad_bias"] = t2j(lin.bias.grad)
        cases.append(case)
    return cases


class Net(nn.Module):
    """The nested model module_test.cpp rebuilds: a layer, a Sequential, a ModuleList."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.block = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Dropout(0.25), nn.Linear(8, 6, bias=False))
        self.heads = nn.ModuleList([nn.Linear(6, 2), nn.Identity(), nn.Linear(6, 3)])


def module_cases():
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 10),
                        nn.LogSoftmax(dim=1))
    zoo = nn.Sequential(nn.Identity(), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2), nn.ELU(alpha=0.5),
                        nn.GELU(approximate="tanh"), nn.Softplus(beta=2, threshold=10), nn.Softmax(dim=-1),
                        nn.Dropout(), nn.Flatten(0, 2), nn.Sequential(nn.Linear(3, 1, bias=False), nn.ReLU()))
    net = Net()
    return {
        "mlp_repr": str(mlp),
        "zoo_repr": str(zoo),
        "net_repr": str(net),
        "net_keys": list(net.state_dict().keys()),
        "net_shapes": [list(v.shape) for v in net.state_dict().values()],
        "net_num_parameters": sum(p.numel() for p in net.parameters()),
    }


def init_cases():
    names = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
             "sigmoid", "tanh", "relu", "selu"]
    gains = [{"name": n, "gain": nn.init.calculate_gain(n)} for n in names]
    gains += [{"name": "leaky_relu", "gain": nn.init.calculate_gain("leaky_relu")}]
    gains += [{"name": "leaky_relu", "param": a, "gain": nn.init.calculate_gain("leaky_relu", a)}
              for a in (0.0, 0.2, math.sqrt(5))]
    fans = []
    for shape in [(3, 5), (6, 3, 5, 5), (4, 2, 3), (7, 1, 1, 1), (10, 784)]:
        fi, fo = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        fans.append({"shape": list(shape), "fan_in": fi, "fan_out": fo})
    return {"gains": gains, "fans": fans}


write("nn_layers", {"activations": activation_cases(), "linear": linear_cases(), "modules": module_cases(),
                    "init": init_cases()})
