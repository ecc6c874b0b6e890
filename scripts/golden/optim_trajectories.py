"""Golden trajectories of torch.optim on a small fixed problem, for tests/optim/*_test.cpp.

The problem: a linear layer z = X W^T + b (W (3, 4), b (3)) under the logistic loss
sum(BCEWithLogits(z, T)) / N + RIDGE / 2 * (|W|^2 + |b|^2) on fixed data (the ridge term keeps
the minimum finite, so oscillating optimisers such as Rprop change direction). Each case runs
STEPS steps of one optimiser with given options (or parameter groups) and records W and b after
every step (and ASGD's averaged parameters). Gradients are computed in float64 from the current
parameters and cast to the parameters' dtype, so float32 cases differ from nabla only in the
optimiser's arithmetic. Every option a case sets is checked to change its trajectory, so each
exposed option is really tested. Also records torch.nn.utils.clip_grad_norm_ / clip_grad_value_
on fixed gradients.

Run with Debian's /usr/bin/python3 (python3-torch 1.13): writes tests/golden/optim_trajectories.json.
"""
import inspect
import math

import torch
import torch.nn.functional as F

from common import t2j, write

STEPS = 10
N, IN, OUT = 8, 4, 3
RIDGE = 0.5

torch.manual_seed(0)
X = torch.randn(N, IN, dtype=torch.float64)
T = torch.bernoulli(torch.full((N, OUT), 0.5, dtype=torch.float64))
W0 = 0.5 * torch.randn(OUT, IN, dtype=torch.float64)
B0 = 0.5 * torch.randn(OUT, dtype=torch.float64)


def gradients(W, b):
    """dL/dW, dL/db in float64 at the current parameters, cast to their dtype."""
    w = W.detach().double().requires_grad_()
    c = b.detach().double().requires_grad_()
    loss = F.binary_cross_entropy_with_logits(X @ w.T + c, T, reduction="sum") / N
    loss = loss + RIDGE / 2 * (w.square().sum() + c.square().sum())
    loss.backward()
    return w.grad.to(W.dtype), c.grad.to(b.dtype)


def torch_options(options):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


# (name, optimiser, dtype, groups as [(param indices, options)], steps at which b has no gradient)
def single(name, optimizer, options, dtype="float64", skip_b=()):
    return dict(name=name, optimizer=optimizer, dtype=dtype, groups=[dict(params=[0, 1], options=options)],
                skip_b=list(skip_b))


def grouped(name, optimizer, options_w, options_b):
    return dict(name=name, optimizer=optimizer, dtype="float64",
                groups=[dict(params=[0], options=options_w), dict(params=[1], options=options_b)], skip_b=[])


CASES = [
    single("sgd_plain", "SGD", {"lr": 0.1}),
    single("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
    single("sgd_dampening", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    single("sgd_nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    single("sgd_weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.05}),
    single("sgd_maximize", "SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    single("sgd_all", "SGD", {"lr": 0.1, "momentum": 0.8, "weight_decay": 0.01, "nesterov": True}),
    single("sgd_f32", "SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}, dtype="float32"),
    grouped("sgd_groups", "SGD", {"lr": 0.1, "momentum": 0.9}, {"lr": 0.01}),
    single("sgd_skip", "SGD", {"lr": 0.1, "momentum": 0.9}, skip_b=[2, 3, 7]),

    single("adam_plain", "Adam", {"lr": 0.05}),
    single("adam_amsgrad", "Adam", {"lr": 0.05, "amsgrad": True, "betas": [0.9, 0.5]}),
    single("adam_weight_decay", "Adam", {"lr": 0.05, "weight_decay": 0.1}),
    single("adam_betas_eps", "Adam", {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-3}),
    single("adam_maximize", "Adam", {"lr": 0.01, "maximize": True}),
    single("adam_f32", "Adam", {"lr": 0.05, "amsgrad": True, "betas": [0.9, 0.5], "weight_decay": 0.01},
           dtype="float32"),
    grouped("adam_groups", "Adam", {"lr": 0.05, "amsgrad": True, "betas": [0.9, 0.6]},
            {"lr": 0.1, "betas": [0.5, 0.9]}),
    single("adam_skip", "Adam", {"lr": 0.05}, skip_b=[0, 4, 5]),

    single("adamw_default", "AdamW", {"lr": 0.05}),
    single("adamw_weight_decay_amsgrad", "AdamW",
           {"lr": 0.05, "weight_decay": 0.2, "amsgrad": True, "betas": [0.9, 0.5]}),
    single("adamw_maximize", "AdamW", {"lr": 0.01, "maximize": True, "betas": [0.8, 0.99], "eps": 1e-6}),
    single("adamw_f32", "AdamW", {"lr": 0.05}, dtype="float32"),

    single("rmsprop_plain", "RMSprop", {"lr": 0.01}),
    single("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    single("rmsprop_centered", "RMSprop", {"lr": 0.01, "centered": True}),
    single("rmsprop_centered_momentum_wd", "RMSprop",
           {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    single("rmsprop_alpha_eps_maximize", "RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-4, "maximize": True}),
    single("rmsprop_f32", "RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}, dtype="float32"),

    single("adagrad_plain", "Adagrad", {"lr": 0.1}),
    single("adagrad_lr_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    single("adagrad_initial_accumulator", "Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    single("adagrad_weight_decay_eps", "Adagrad", {"lr": 0.1, "weight_decay": 0.1, "eps": 1e-3}),
    single("adagrad_maximize", "Adagrad", {"lr": 0.05, "lr_decay": 0.05, "maximize": True}),
    single("adagrad_f32", "Adagrad", {"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.1},
           dtype="float32"),

    single("adadelta_default", "Adadelta", {}),
    single("adadelta_lr_rho_eps", "Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4}),
    single("adadelta_weight_decay", "Adadelta", {"weight_decay": 0.1}),
    single("adadelta_maximize", "Adadelta", {"maximize": True}),
    single("adadelta_f32", "Adadelta", {"lr": 0.5}, dtype="float32"),

    single("rprop_plain", "Rprop", {"lr": 0.1}),
    single("rprop_etas_step_sizes", "Rprop", {"lr": 0.05, "etas": [0.3, 1.5], "step_sizes": [1e-3, 0.08]}),
    single("rprop_maximize", "Rprop", {"lr": 0.1, "maximize": True}),
    single("rprop_f32", "Rprop", {"lr": 0.1}, dtype="float32"),

    single("asgd_default", "ASGD", {"lr": 0.05}),
    single("asgd_averaging", "ASGD", {"lr": 0.05, "lambd": 1e-2, "alpha": 0.6, "t0": 3}),
    single("asgd_weight_decay", "ASGD", {"lr": 0.05, "weight_decay": 0.1, "t0": 2}),
    single("asgd_maximize", "ASGD", {"lr": 0.02, "maximize": True, "t0": 5}),
    single("asgd_f32", "ASGD", {"lr": 0.05, "t0": 3}, dtype="float32"),
]


def check_every_option_matters(case, result):
    """Each option a case sets must change its trajectory (else the case would not test it)."""
    for g, group in enumerate(case["groups"]):
        for key in group["options"]:
            default = inspect.signature(getattr(torch.optim, case["optimizer"])).parameters[key].default
            if default is inspect.Parameter.empty or torch_options(group["options"])[key] == default:
                continue  # required (SGD's lr), or set to its default
            variant = dict(case, groups=[dict(gr, options={k: v for k, v in gr["options"].items()
                                                          if not (i == g and k == key)})
                                         for i, gr in enumerate(case["groups"])])
            try:
                other = run(variant, check=False)
            except ValueError:
                continue  # the option is needed by another (momentum for nesterov)
            diff = max((torch.tensor(other[k]["data"]) - torch.tensor(result[k]["data"])).abs().max().item()
                       for k in ["W", "b", "ax_W", "ax_b"] if k in result)
            assert diff > 1e-9, f"{case['name']}: option {key} of group {g} does not change the trajectory"


def run(case, check=True):
    dtype = getattr(torch, case["dtype"])
    params = [W0.to(dtype).clone().requires_grad_(), B0.to(dtype).clone().requires_grad_()]
    cls = getattr(torch.optim, case["optimizer"])
    if len(case["groups"]) == 1:
        # As keyword arguments: Adagrad reads initial_accumulator_value only from those.
        opt = cls(params, **torch_options(case["groups"][0]["options"]))
    else:
        opt = cls([dict(params=[params[i] for i in g["params"]], **torch_options(g["options"]))
                   for g in case["groups"]])
    out = {"W": [], "b": [], "ax_W": [], "ax_b": []}
    for step in range(STEPS):
        gw, gb = gradients(*params)
        params[0].grad = gw
        params[1].grad = None if step in case["skip_b"] else gb
        opt.step()
        out["W"].append(params[0].detach().clone())
        out["b"].append(params[1].detach().clone())
        if case["optimizer"] == "ASGD":
            out["ax_W"].append(opt.state[params[0]]["ax"].clone())
            out["ax_b"].append(opt.state[params[1]]["ax"].clone())
    result = dict(case, W=t2j(torch.stack(out["W"])), b=t2j(torch.stack(out["b"])))
    if case["optimizer"] == "ASGD":
        result.update(ax_W=t2j(torch.stack(out["ax_W"])), ax_b=t2j(torch.stack(out["ax_b"])))
    if case["optimizer"] == "Rprop":
        # The Rprop cases must exercise sign flips: after one a coordinate stays put for a step.
        traj = torch.cat([torch.stack(out["W"]).flatten(1), torch.stack(out["b"])], 1)
        flips = int((traj.diff(dim=0) == 0).sum())
        assert flips > 0 or case["groups"][0]["options"].get("maximize"), case["name"]
        result["sign_flips"] = flips
    if check:
        check_every_option_matters(case, result)
    return result


def clip_cases():
    torch.manual_seed(1)
    grads = [torch.randn(3, 4, dtype=torch.float64), torch.randn(5, dtype=torch.float64),
             torch.randn(2, 2, 2, dtype=torch.float64)]
    cases = []
    for dtype in ["float64", "float32"]:
        for norm_type in [2.0, 1.0, 3.5, 0.5, 0.0, math.inf, -math.inf]:
            for max_norm in [0.5, 100.0]:
                params = [torch.zeros_like(g, dtype=getattr(torch, dtype), requires_grad=True) for g in grads]
                for p, g in zip(params, grads):
                    p.grad = g.to(p.dtype).clone()
                total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type)
                cases.append(dict(dtype=dtype, norm_type=str(norm_type), max_norm=max_norm, total_norm=total.item(),
                                  grads=[t2j(p.grad) for p in params]))
    params = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(params, 0.3)
    value = dict(clip_value=0.3, grads=[t2j(p.grad) for p in params])
    return dict(grads=[t2j(g) for g in grads], norm_cases=cases, value_case=value)


write("optim_trajectories", {
    "steps": STEPS,
    "problem": {"X": t2j(X), "T": t2j(T), "W0": t2j(W0), "b0": t2j(B0), "ridge": RIDGE},
    "cases": [run(c) for c in CASES],
    "clip": clip_cases(),
})
