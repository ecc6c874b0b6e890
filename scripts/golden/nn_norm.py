"""Golden values for nabla's normalisation and resampling layers (tests/nn/normalization_test.cpp,
upsample_test.cpp): BatchNorm1d/2d over two training steps (outputs, gradients w.r.t. input,
weight and bias, running statistics and num_batches_tracked afterwards) and then in eval mode,
LayerNorm over the last one and two dims, and Upsample (nearest, bilinear with both
align_corners) at integer, non-integer and explicit sizes, forward and input gradient.
Everything in float64. Run: /usr/bin/python3 scripts/golden/nn_norm.py"""
import torch
import torch.nn as nn

from common import t2j, write

torch.manual_seed(0)
D = torch.float64


def grads(module, x, g):
    """Forward x through module, backward g; returns (y, grad_x, grad_weight, grad_bias)."""
    x = x.clone().requires_grad_()
    module.zero_grad(set_to_none=True)
    y = module(x)
    y.backward(g)
    w = getattr(module, "weight", None)
    b = getattr(module, "bias", None)
    out = {"x": t2j(x), "g": t2j(g), "y": t2j(y), "grad_x": t2j(x.grad)}
    if w is not None:
        out["grad_weight"] = t2j(w.grad)
        out["grad_bias"] = t2j(b.grad)
    return out


def state_of(module):
    return {k: t2j(v) for k, v in module.state_dict().items()}


def batch_norm_cases():
    # (name, class, num_features, input shape, keyword options)
    configs = [
        ("bn2d", nn.BatchNorm2d, 3, (4, 3, 3, 2), {}),
        ("bn2d_momentum_0.3_eps_1e-3", nn.BatchNorm2d, 2, (3, 2, 2, 3), {"momentum": 0.3, "eps": 1e-3}),
        ("bn2d_momentum_none", nn.BatchNorm2d, 3, (2, 3, 2, 2), {"momentum": None}),
        ("bn2d_no_affine", nn.BatchNorm2d, 2, (2, 2, 3, 3), {"affine": False}),
        ("bn2d_no_running_stats", nn.BatchNorm2d, 2, (3, 2, 2, 2), {"track_running_stats": False}),
        ("bn1d_nc", nn.BatchNorm1d, 5, (6, 5), {}),
        ("bn1d_ncl", nn.BatchNorm1d, 4, (3, 4, 5), {}),
        ("bn1d_nc_momentum_none_no_affine", nn.BatchNorm1d, 3, (4, 3), {"momentum": None, "affine": False}),
    ]
    cases = []
    for name, cls, c, shape, kwargs in configs:
        bn = cls(c, **kwargs).double()
        if bn.affine:
            with torch.no_grad():
                bn.weight.copy_(torch.rand(c, dtype=D) + 0.5)
                bn.bias.copy_(torch.randn(c, dtype=D))
        case = {"name": name, "module": cls.__name__, "num_features": c, "eps": bn.eps, "momentum": bn.momentum,
                "affine": bn.affine, "track_running_stats": bn.track_running_stats, "repr": str(bn),
                "keys": list(bn.state_dict().keys()), "state0": state_of(bn)}
        bn.train()
        steps = []
        for step in range(2):
            # Channel means away from zero and unequal spreads, so every statistic matters.
            x = torch.randn(shape, dtype=D) * (1.5 + step) + 0.7
            steps.append(grads(bn, x, torch.randn(shape, dtype=D)))
        case["steps"] = steps
        case["state"] = state_of(bn)
        bn.eval()
        case["eval"] = grads(bn, torch.randn(shape, dtype=D) * 2 - 0.3, torch.randn(shape, dtype=D))
        cases.append(case)
    return cases


def layer_norm_cases():
    configs = [
        ("last_dim", (4,), (3, 4), {}),
        ("last_two_dims", (3, 4), (2, 3, 4), {}),
        ("no_affine_eps_1e-3", (5,), (2, 2, 5), {"eps": 1e-3, "elementwise_affine": False}),
        ("last_two_dims_no_affine", (2, 3), (4, 2, 3), {"elementwise_affine": False}),
    ]
    cases = []
    for name, normalized, shape, kwargs in configs:
        ln = nn.LayerNorm(normalized, **kwargs).double()
        if ln.elementwise_affine:
            with torch.no_grad():
                ln.weight.copy_(torch.rand(normalized, dtype=D) + 0.5)
                ln.bias.copy_(torch.randn(normalized, dtype=D))
        x = torch.randn(shape, dtype=D) * 2 + 0.5
        case = {"name": name, "normalized_shape": list(normalized), "eps": ln.eps,
                "elementwise_affine": ln.elementwise_affine, "repr": str(ln), "state": state_of(ln),
                **grads(ln, x, torch.randn(shape, dtype=D))}
        cases.append(case)
    return cases


def upsample_cases():
    # (input shape, keyword options); scale factors as nabla takes them (one value or one per dim)
    configs = [
        ((1, 2, 3, 4), {"scale_factor": 2, "mode": "nearest"}),
        ((2, 1, 5, 4), {"scale_factor": 1.7, "mode": "nearest"}),
        ((1, 2, 5, 4), {"scale_factor": (0.6, 1.5), "mode": "nearest"}),
        ((1, 2, 3, 4), {"size": (5, 7), "mode": "nearest"}),
        ((1, 1, 7, 6), {"size": (3, 6), "mode": "nearest"}),
        # 37 / 3.7 is 9.999999999999998 in double: PyTorch floors it in float precision, giving 10.
        ((1, 1, 2, 11), {"scale_factor": (1.0, 3.7), "mode": "nearest"}),
        ((1, 2, 3, 4), {"scale_factor": 2, "mode": "bilinear", "align_corners": False}),
        ((2, 1, 5, 4), {"scale_factor": 1.7, "mode": "bilinear", "align_corners": False}),
        ((1, 2, 6, 5), {"scale_factor": 0.5, "mode": "bilinear", "align_corners": False}),
        ((1, 2, 3, 4), {"size": (5, 7), "mode": "bilinear", "align_corners": False}),
        ((1, 2, 3, 4), {"scale_factor": 2, "mode": "bilinear", "align_corners": True}),
        ((2, 1, 5, 4), {"scale_factor": 1.7, "mode": "bilinear", "align_corners": True}),
        ((1, 2, 3, 4), {"size": (5, 7), "mode": "bilinear", "align_corners": True}),
        ((1, 1, 4, 5), {"size": (4, 1), "mode": "bilinear", "align_corners": True}),
        ((1, 1, 4, 5), {"scale_factor": (1.2, 2.5), "mode": "bilinear", "align_corners": False}),
    ]
    cases = []
    for shape, kwargs in configs:
        up = nn.Upsample(**kwargs)
        x = torch.randn(shape, dtype=D)
        y_shape = up(x).shape
        option = {k: (list(v) if isinstance(v, tuple) else [v]) if k in ("size", "scale_factor") else v
                  for k, v in kwargs.items()}
        cases.append({"options": option, "repr": str(up), **grads(up, x, torch.randn(y_shape, dtype=D))})
    return cases


write("nn_norm", {"batch_norm": batch_norm_cases(), "layer_norm": layer_norm_cases(),
                  "upsample": upsample_cases()})
