"""Golden values for nabla's losses (tests/nn/loss_test.cpp): every loss and option combination
nabla exposes, with its inputs, forward value and input (and target) gradients, from PyTorch.

Run with Debian's /usr/bin/python3 (python3-torch): /usr/bin/python3 scripts/golden/nn_losses.py
Reductions 'none' are backpropagated with a stored random upstream gradient, the others from 1.
"""
import torch
import torch.nn.functional as F

from common import t2j, write

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

CASES = []


def case(name, fn, call, input, target, reduction, *, options=None, weight=None, pos_weight=None,
         grad_target=False, index_target=False):
    """Runs call(input, target) and records inputs, output and gradients under `name`."""
    x = input.clone().requires_grad_()
    t = target.clone()
    if grad_target:
        t.requires_grad_()
    out = call(x, t)
    entry = {"name": name, "fn": fn, "reduction": reduction, "options": options or {},
             "input": t2j(x), "target": t2j(t), "index_target": index_target, "output": t2j(out)}
    if weight is not None:
        entry["weight"] = t2j(weight)
    if pos_weight is not None:
        entry["pos_weight"] = t2j(pos_weight)
    grad_output = torch.randn(out.shape) if reduction == "none" else torch.ones(())
    entry["grad_output"] = t2j(grad_output)
    inputs = [x] + ([t] if grad_target else [])
    grads = torch.autograd.grad(out, inputs, grad_output)
    entry["grad_input"] = t2j(grads[0])
    if grad_target:
        entry["grad_target"] = t2j(grads[1])
    CASES.append(entry)


def reduce(loss, reduction):
    return {"mean": loss.mean, "sum": loss.sum, "none": lambda: loss}[reduction]()


REDUCTIONS = ["mean", "sum", "none"]

# ---- regression ---------------------------------------------------------------------------
x, y = torch.randn(3, 4), torch.randn(3, 4)
for r in REDUCTIONS:
    case(f"mse_{r}", "mse_loss", lambda a, b: F.mse_loss(a, b, reduction=r), x, y, r, grad_target=True)
    case(f"l1_{r}", "l1_loss", lambda a, b: F.l1_loss(a, b, reduction=r), x, y, r, grad_target=True)
# Broadcasting target (4) against input (3, 4), as torch does (with a warning).
case("mse_broadcast", "mse_loss", lambda a, b: F.mse_loss(a, b), x, torch.randn(4), "mean", grad_target=True)
# l1 at input == target: gradient 0.
case("l1_tie", "l1_loss", lambda a, b: F.l1_loss(a, b, reduction="sum"), torch.tensor([1.0, 2.0, 3.0]),
     torch.tensor([1.0, 0.0, 3.0]), "sum", grad_target=True)

# ---- binary cross-entropy -------------------------------------------------------------------
p = torch.rand(3, 4) * 0.9 + 0.05
t = torch.rand(3, 4)
w = torch.rand(4) + 0.5
for r in REDUCTIONS:
    case(f"bce_{r}", "binary_cross_entropy", lambda a, b: F.binary_cross_entropy(a, b, reduction=r), p, t, r,
         grad_target=True)
    case(f"bce_weight_{r}", "binary_cross_entropy",
         lambda a, b: F.binary_cross_entropy(a, b, weight=w, reduction=r), p, t, r, weight=w, grad_target=True)
# Probabilities of exactly 0 and 1: logs clamped to -100, gradients through max(p(1-p), 1e-12).
case("bce_edges", "binary_cross_entropy", lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
     torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0, 1.0, 0.3]), "none")

logits = torch.randn(3, 4) * 3
pw = torch.rand(4) * 2 + 0.5
wl = torch.rand(3, 1) + 0.5
for r in REDUCTIONS:
    case(f"bce_logits_{r}", "binary_cross_entropy_with_logits",
         lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r), logits, t, r, grad_target=True)
    case(f"bce_logits_weights_{r}", "binary_cross_entropy_with_logits",
         lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=wl, pos_weight=pw, reduction=r), logits, t, r,
         weight=wl, pos_weight=pw, grad_target=True)
case("bce_logits_pos_weight", "binary_cross_entropy_with_logits",
     lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw), logits, t, "mean", pos_weight=pw,
     grad_target=True)
case("bce_logits_weight", "binary_cross_entropy_with_logits",
     lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=wl, reduction="sum"), logits, t, "sum", weight=wl,
     grad_target=True)
big = torch.tensor([100.0, -100.0, 100.0, -100.0, 0.0])
big_t = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5])
case("bce_logits_large", "binary_cross_entropy_with_logits",
     lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"), big, big_t, "none", grad_target=True)
case("bce_logits_large_pos_weight", "binary_cross_entropy_with_logits",
     lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor(3.0), reduction="none"), big,
     big_t, "none", pos_weight=torch.tensor(3.0), grad_target=True)

# ---- cross-entropy with class indices -------------------------------------------------------
N, C = 5, 4
z = torch.randn(N, C) * 2
labels = torch.tensor([0, 3, 1, 3, 2])
labels_ignored = torch.tensor([0, -100, 1, 3, -100])
labels_ignore2 = torch.tensor([0, 2, 1, 2, 2])
cw = torch.rand(C) + 0.5


def ce(name, logits, target, reduction, weight=None, ignore_index=-100, label_smoothing=0.0):
    options = {"ignore_index": ignore_index, "label_smoothing": label_smoothing}
    case(name, "cross_entropy",
         lambda a, b: F.cross_entropy(a, b, weight=weight, ignore_index=ignore_index, reduction=reduction,
                                      label_smoothing=label_smoothing),
         logits, target, reduction, options=options, weight=weight, index_target=True)


for r in REDUCTIONS:
    ce(f"ce_{r}", z, labels, r)
    ce(f"ce_weight_{r}", z, labels, r, weight=cw)
    ce(f"ce_ignore_{r}", z, labels_ignored, r)
    ce(f"ce_weight_ignore_{r}", z, labels_ignored, r, weight=cw)
    ce(f"ce_smooth_{r}", z, labels, r, label_smoothing=0.1)
    ce(f"ce_smooth_weight_{r}", z, labels, r, weight=cw, label_smoothing=0.1)
    ce(f"ce_smooth_ignore_{r}", z, labels_ignored, r, label_smoothing=0.1)
    ce(f"ce_smooth_weight_ignore_{r}", z, labels_ignored, r, weight=cw, label_smoothing=0.1)
ce("ce_ignore_index_2", z, labels_ignore2, "mean", ignore_index=2)
ce("ce_smooth_full", z, labels, "mean", label_smoothing=1.0)
# (N, C, d1, d2) logits with (N, d1, d2) targets.
z4 = torch.randn(2, 3, 2, 3)
l4 = torch.randint(0, 3, (2, 2, 3))
l4[0, 1, 2] = -100
w3 = torch.rand(3) + 0.5
for r in REDUCTIONS:
    ce(f"ce_nd_{r}", z4, l4, r)
    ce(f"ce_nd_weight_smooth_{r}", z4, l4, r, weight=w3, label_smoothing=0.1)
# Unbatched (C) logits with a 0-d target.
ce("ce_unbatched", torch.randn(4), torch.tensor(2), "mean")
ce("ce_unbatched_none", torch.randn(4), torch.tensor(1), "none", label_smoothing=0.1)
# Large logits: exact, finite.
ce("ce_large", torch.tensor([[1e4, 0.0, -1e4], [1e4, 0.0, -1e4], [-1e4, 1e4, 0.0]]), torch.tensor([0, 2, 0]), "none")

# ---- cross-entropy with class probabilities ---------------------------------------------------
probs = torch.softmax(torch.randn(N, C), dim=1)


def ce_prob(name, logits, target, reduction, weight=None, label_smoothing=0.0):
    options = {"ignore_index": -100, "label_smoothing": label_smoothing}
    case(name, "cross_entropy",
         lambda a, b: F.cross_entropy(a, b, weight=weight, reduction=reduction, label_smoothing=label_smoothing),
         logits, target, reduction, options=options, weight=weight, grad_target=True)


for r in REDUCTIONS:
    ce_prob(f"ce_prob_{r}", z, probs, r)
    ce_prob(f"ce_prob_weight_{r}", z, probs, r, weight=cw)
    ce_prob(f"ce_prob_smooth_weight_{r}", z, probs, r, weight=cw, label_smoothing=0.1)
ce_prob("ce_prob_nd", z4, torch.softmax(torch.randn(2, 3, 2, 3), dim=1), "mean", weight=w3, label_smoothing=0.2)
ce_prob("ce_prob_unbatched", torch.randn(4), torch.softmax(torch.randn(4), 0), "mean")

# ---- nll_loss -------------------------------------------------------------------------------------
lp = torch.log_softmax(z, 1)
lp4 = torch.log_softmax(z4, 1)


def nll(name, log_probs, target, reduction, weight=None, ignore_index=-100):
    case(name, "nll_loss",
         lambda a, b: F.nll_loss(a, b, weight=weight, ignore_index=ignore_index, reduction=reduction),
         log_probs, target, reduction, options={"ignore_index": ignore_index}, weight=weight,
         index_target=True)


for r in REDUCTIONS:
    nll(f"nll_{r}", lp, labels, r)
    nll(f"nll_weight_ignore_{r}", lp, labels_ignored, r, weight=cw)
    nll(f"nll_nd_weight_{r}", lp4, l4, r, weight=w3)
nll("nll_ignore_index_2", lp, labels_ignore2, "mean", weight=cw, ignore_index=2)

# ---- hinge (no torch function: clamp(1 - y f, min=0)) -----------------------------------------------
scores = torch.randn(6)
scores[0], scores[1] = 1.0, -1.0  # on the kink: y f == 1
signs = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
for r in REDUCTIONS:
    case(f"hinge_{r}", "hinge_loss", lambda a, b: reduce(torch.clamp(1 - b * a, min=0), r), scores, signs, r,
         grad_target=True)

# ---- multi_margin_loss ----------------------------------------------------------------------------
mm = torch.randn(N, C)
mm[0, 1] = mm[0, 0] - 1.0  # a margin exactly at the kink (z == 0)
mw = torch.rand(C) + 0.5
for r in REDUCTIONS:
    for p_ in (1, 2):
        case(f"multi_margin_p{p_}_{r}", "multi_margin_loss",
             lambda a, b: F.multi_margin_loss(a, b, p=p_, reduction=r), mm, labels, r,
             options={"p": p_, "margin": 1.0}, index_target=True)
    case(f"multi_margin_weight_{r}", "multi_margin_loss",
         lambda a, b: F.multi_margin_loss(a, b, p=2, margin=0.5, weight=mw, reduction=r), mm, labels, r,
         options={"p": 2, "margin": 0.5}, weight=mw, index_target=True)
case("multi_margin_unbatched", "multi_margin_loss", lambda a, b: F.multi_margin_loss(a, b, reduction="none"),
     torch.randn(4), torch.tensor(1), "none", options={"p": 1, "margin": 1.0}, index_target=True)

# ---- kl_div -----------------------------------------------------------------------------------
kin = torch.log_softmax(torch.randn(3, 4), 1)
ktg = torch.softmax(torch.randn(3, 4), 1)
for r in REDUCTIONS + ["batchmean"]:
    case(f"kl_{r}", "kl_div", lambda a, b: F.kl_div(a, b, reduction=r), kin, ktg, r, grad_target=True)
    case(f"kl_log_target_{r}", "kl_div", lambda a, b: F.kl_div(a, b, reduction=r, log_target=True), kin, ktg.log(),
         r, options={"log_target": True}, grad_target=True)
# A zero target contributes 0 to the loss (its target gradient is NaN in torch: not recorded).
kz = ktg.clone()
kz[0, 1] = 0.0
case("kl_zero_target", "kl_div", lambda a, b: F.kl_div(a, b, reduction="sum"), kin, kz, "sum")

write("nn_losses", {"cases": CASES})
