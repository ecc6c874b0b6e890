"""Golden values for nabla's LBFGS and learning-rate schedules, recorded from PyTorch 1.13.

Run with Debian's /usr/bin/python3; writes tests/golden/optim_lbfgs_schedules.json, read by
tests/optim/lbfgs_test.cpp and tests/optim/lr_scheduler_test.cpp. Every input (starting points,
data, metric sequences) is stored in the JSON so the C++ tests replay exactly the same numbers.
"""
import torch

from common import t2j, write

torch.set_default_dtype(torch.float64)


# ---- LBFGS --------------------------------------------------------------------------------
def rosenbrock(params, data):
    x = params[0]
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def softplus(z):
    # The same formula the C++ test uses (torch's softplus rounds differently in the last bits).
    return z.relu() + (1 + (-z.abs()).exp()).log()


def logistic(params, data):
    # Mean logistic loss of a linear model with an L2 term on w: two parameters, so the
    # optimiser's flattening across parameters is exercised.
    w, b = params
    z = data["X"].matmul(w) + b
    return (softplus(z) - data["y"] * z).mean() + 0.05 * (w * w).sum()


PROBLEMS = {"rosenbrock": rosenbrock, "logistic": logistic}


def make_data():
    g = torch.Generator().manual_seed(3)
    X = torch.randn(12, 3, generator=g)
    y = (X.matmul(torch.tensor([1.5, -2.0, 0.5])) + 0.3 * torch.randn(12, generator=g) > 0).double()
    return {"X": X, "y": y}


def starting_point(problem, rosenbrock_x0):
    if problem == "rosenbrock":
        return [torch.tensor(rosenbrock_x0)]
    g = torch.Generator().manual_seed(5)
    return [torch.randn(3, generator=g), torch.randn(1, generator=g)]


def run_lbfgs(problem, x0, options, steps, data, scale=1.0):
    params = [(p * scale).requires_grad_() for p in x0]
    opt = torch.optim.LBFGS(params, **options)
    fn = PROBLEMS[problem]

    def closure():
        opt.zero_grad()
        loss = fn(params, data)
        loss.backward()
        return loss

    trajectory = []
    for _ in range(steps):
        loss = opt.step(closure)
        state = opt.state[params[0]]
        trajectory.append({"loss": float(loss), "params": [p.detach().clone() for p in params],
                           "func_evals": state["func_evals"], "n_iter": state["n_iter"]})
    return trajectory


def sensitivity(problem, x0, options, steps, data, reference):
    """Largest relative change of any loss or parameter when x0 moves by a few ulps.

    Some LBFGS runs are chaotic (Rosenbrock with large fixed steps amplifies a one-ulp change to
    1e-4 within a few steps), so no independent implementation can match them to 1e-6; only
    cases whose own rounding sensitivity is far below the test's tolerance are recorded."""
    worst = 0.0
    for scale in (1 + 4e-16, 1 - 4e-16, 1 + 1e-15):
        other = run_lbfgs(problem, x0, options, steps, data, scale)
        for a, b in zip(other, reference):
            worst = max(worst, abs(a["loss"] - b["loss"]) / max(abs(b["loss"]), 1e-6))
            for p, q in zip(a["params"], b["params"]):
                worst = max(worst, ((p - q).abs() / q.abs().clamp_min(1e-6)).max().item())
    return worst


def lbfgs_case(name, problem, options, steps, data, rosenbrock_x0=(-1.5, 2.0)):
    x0 = starting_point(problem, list(rosenbrock_x0))
    trajectory = run_lbfgs(problem, x0, options, steps, data)
    worst = sensitivity(problem, x0, options, steps, data, trajectory)
    assert worst < 1e-8, f"{name}: trajectory too sensitive to rounding ({worst:.1e}) to serve as a golden case"
    for step in trajectory:
        step["params"] = [t2j(p) for p in step["params"]]
    return {"name": name, "problem": problem, "options": options, "x0": [t2j(p) for p in x0],
            "rounding_sensitivity": worst, "trajectory": trajectory}


def lbfgs_cases():
    data = make_data()
    wolfe = "strong_wolfe"
    classic = (-1.2, 1.0)
    cases = [
        lbfgs_case("rosenbrock_plain", "rosenbrock", {"lr": 0.5, "max_iter": 10}, 10, data, classic),
        lbfgs_case("rosenbrock_plain_hist3", "rosenbrock", {"lr": 0.2, "max_iter": 4, "history_size": 3}, 10, data),
        lbfgs_case("rosenbrock_wolfe", "rosenbrock", {"line_search_fn": wolfe, "max_iter": 5}, 12, data),
        lbfgs_case("rosenbrock_wolfe_hist2", "rosenbrock",
                   {"line_search_fn": wolfe, "max_iter": 4, "history_size": 2}, 10, data, classic),
        # Long initial steps: the zoom phase shrinks brackets, moves trial points away from a
        # bracket end after insufficient progress, and turns the old high end into the low one.
        lbfgs_case("rosenbrock_wolfe_lr5", "rosenbrock", {"line_search_fn": wolfe, "max_iter": 5, "lr": 5}, 8,
                   data, classic),
        lbfgs_case("rosenbrock_wolfe_lr50_hist2", "rosenbrock",
                   {"line_search_fn": wolfe, "max_iter": 5, "lr": 50, "history_size": 2}, 6, data, classic),
        lbfgs_case("rosenbrock_wolfe_max_eval", "rosenbrock",
                   {"line_search_fn": wolfe, "max_iter": 20, "max_eval": 7, "lr": 0.5}, 10, data),
        lbfgs_case("logistic_plain", "logistic", {"lr": 0.5, "max_iter": 3, "history_size": 4}, 10, data),
        lbfgs_case("logistic_wolfe", "logistic",
                   {"line_search_fn": wolfe, "max_iter": 4, "history_size": 3, "tolerance_change": 1e-12}, 10, data),
    ]
    return {"data": {"X": t2j(data["X"]), "y": t2j(data["y"])}, "cases": cases}


# ---- schedules ----------------------------------------------------------------------------
BASE_LRS = [0.1, 0.05]
STEPS = 30


def two_group_sgd():
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
    return torch.optim.SGD([{"params": [a], "lr": BASE_LRS[0]}, {"params": [b], "lr": BASE_LRS[1]}], lr=1.0)


def lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def schedule_case(name, kind, args, chain=None):
    """lrs[0] is right after construction, lrs[k] after the k-th scheduler.step()."""
    opt = two_group_sgd()
    make = getattr(torch.optim.lr_scheduler, kind)
    scheds = [make(opt, **args)]
    if chain is not None:
        scheds.append(getattr(torch.optim.lr_scheduler, chain[0])(opt, **chain[1]))
    seq = [lrs(opt)]
    for _ in range(STEPS):
        opt.step()
        for s in scheds:
            s.step()
        seq.append(lrs(opt))
    case = {"name": name, "kind": kind, "args": args, "lrs": seq}
    if chain is not None:
        case["chain"] = {"kind": chain[0], "args": chain[1]}
    return case


def closed_form_case(name, kind, args, epochs):
    """The deprecated scheduler.step(epoch) path, which uses the closed form."""
    import warnings
    opt = two_group_sgd()
    sched = getattr(torch.optim.lr_scheduler, kind)(opt, **args)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for e in epochs:
            sched.step(e)
            out.append(lrs(opt))
    return {"name": name, "kind": kind, "args": args, "epochs": epochs, "lrs": out}


def metric_sequence():
    # Improvements, plateaus, tiny (sub-threshold) improvements and a rise: exercises patience,
    # thresholds and cooldown in both modes.
    return [10.0, 9.0, 9.0, 9.0, 8.9995, 9.2, 9.0, 8.0, 8.0, 8.0, 8.0, 7.99, 7.5, 7.6, 7.7, 7.8, 7.4,
            7.4, 7.4, 7.4, 7.4, 7.3999, 7.0, 7.1, 7.2, 7.3, 7.4, 6.0, 6.0, 6.0]


def plateau_case(name, args, metrics):
    opt = two_group_sgd()
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **args)
    seq, bad, cool, best = [], [], [], []
    for m in metrics:
        opt.step()
        sched.step(m)
        seq.append(lrs(opt))
        bad.append(sched.num_bad_epochs)
        cool.append(sched.cooldown_counter)
        best.append(sched.best)
    return {"name": name, "args": args, "metrics": metrics, "lrs": seq, "num_bad_epochs": bad,
            "cooldown_counter": cool, "best": best}


def schedule_cases():
    cases = [
        schedule_case("step", "StepLR", {"step_size": 4, "gamma": 0.5}),
        schedule_case("step_default_gamma", "StepLR", {"step_size": 7}),
        schedule_case("multistep", "MultiStepLR", {"milestones": [3, 7, 7, 15], "gamma": 0.5}),
        schedule_case("exponential", "ExponentialLR", {"gamma": 0.9}),
        schedule_case("cosine", "CosineAnnealingLR", {"T_max": 10}),
        schedule_case("cosine_eta_min", "CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
        schedule_case("linear_default", "LinearLR", {}),
        schedule_case("linear_custom", "LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 8}),
        schedule_case("linear_then_exponential", "LinearLR", {"start_factor": 0.5, "total_iters": 4},
                      chain=("ExponentialLR", {"gamma": 0.95})),
    ]
    closed = [
        closed_form_case("step", "StepLR", {"step_size": 4, "gamma": 0.5}, [0, 3, 4, 9, 13, 2]),
        closed_form_case("multistep", "MultiStepLR", {"milestones": [3, 7, 7, 15], "gamma": 0.5},
                         [0, 3, 6, 7, 20, 1]),
        closed_form_case("exponential", "ExponentialLR", {"gamma": 0.9}, [0, 1, 5, 12]),
        closed_form_case("cosine", "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}, [0, 3, 10, 15, 21]),
        closed_form_case("linear", "LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 8},
                         [0, 2, 8, 11]),
    ]
    m = metric_sequence()
    plateau = [
        plateau_case("min_rel", {"mode": "min", "patience": 2}, m),
        plateau_case("min_abs_cooldown", {"mode": "min", "threshold_mode": "abs", "threshold": 0.05,
                                          "patience": 1, "cooldown": 2, "factor": 0.5}, m),
        plateau_case("min_rel_min_lr", {"mode": "min", "patience": 0, "factor": 0.5, "min_lr": [0.02, 0.004]}, m),
        plateau_case("max_rel", {"mode": "max", "patience": 1, "threshold": 0.01, "factor": 0.3}, [-v for v in m]),
        plateau_case("max_abs_cooldown_eps", {"mode": "max", "threshold_mode": "abs", "threshold": 0.5,
                                              "patience": 0, "cooldown": 1, "factor": 0.5, "min_lr": 0.01,
                                              "eps": 0.004}, [-v for v in m]),
    ]
    return {"base_lrs": BASE_LRS, "schedules": cases, "closed_form": closed, "plateau": plateau}


if __name__ == "__main__":
    write("optim_lbfgs_schedules", {"lbfgs": lbfgs_cases(), **schedule_cases()})
