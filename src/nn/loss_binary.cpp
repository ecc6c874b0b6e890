// Binary cross-entropy on probabilities and on logits: one fused elementwise forward kernel each,
// with PyTorch's gradient formulas composed from Tensor ops in backward.
#include "autograd/ops/elementwise.hpp"
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "nn/loss_common.hpp"

#include <algorithm>
#include <cmath>

namespace nabla::nn::functional {

using autograd::SavedTensor;
using autograd::TensorList;
using namespace loss_detail;

namespace {

// The weight to multiply by, or a 0-d 1 standing in for "no weight".
Tensor weight_or_one(const Tensor& weight, DType dtype) {
  return weight.defined() ? weight.detach() : scalar_tensor(1.0, dtype);
}

// log(sigmoid(x)) = -(max(-x, 0) + log(1 + exp(-|x|))), finite for any x.
Tensor log_sigmoid(const Tensor& x) { return -((-x).relu() + (-x.abs()).exp().add(1.0).log()); }

// Throws naming the first probability outside [0, 1] (NaN included), as torch.
void check_probabilities(const Tensor& probs) {
  const Tensor p = probs.detach().contiguous();
  kernels::dispatch_floating(p.dtype(), "binary_cross_entropy", [&]<typename T>() {
    const T* v = p.data_ptr<T>();
    for (int64_t i = 0; i < p.numel(); ++i) {
      NABLA_CHECK(v[i] >= T(0) && v[i] <= T(1), "binary_cross_entropy: every input must be a probability in ",
                  "[0, 1], got ", v[i], " at position ", unravel(i, p.shape()),
                  " (use binary_cross_entropy_with_logits for logits)");
    }
  });
}

}  // namespace

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target, const Tensor& weight, Reduction reduction) {
  const char* op = "binary_cross_entropy";
  check_reduction(op, reduction);
  check_floating(op, "input", probs);
  check_floating(op, "target", target);
  check_same_shape(op, "input", probs, "target", target);
  detail::check_same_dtype(op, probs, target);
  check_broadcast_weight(op, "weight", weight, probs);
  check_probabilities(probs);
  Tensor out = kernels::dispatch_floating(probs.dtype(), op, [&]<typename T>() {
    return elementwise::map_new<T, T, T, T>(
        probs.shape(), probs, target, weight_or_one(weight, probs.dtype()), [](T p, T t, T w) {
          const T log_p = std::max(std::log(p), T(-100));
          const T log_q = std::max(std::log1p(-p), T(-100));
          return -w * (t * log_p + (T(1) - t) * log_q);
        });
  });
  if (autograd::needs_grad({probs, target})) {
    out = autograd::record(
        "BinaryCrossEntropyBackward", out, {probs, target},
        [p = SavedTensor(probs), t = SavedTensor(target), w = SavedTensor(weight),
         want_p = probs.requires_grad(), want_t = target.requires_grad()](const Tensor& g) -> TensorList {
          const Tensor& pv = p.get();
          const Tensor gw = w.defined() ? g * w.get() : g;
          Tensor gp, gt;
          // PyTorch's formulas: the probs gradient divides by max(p (1 - p), eps) rather than
          // following the clamped logs (eps is its float constant 1e-12f); the target gradient
          // uses the logs unclamped.
          if (want_p) gp = gw * (pv - t.get()) / ((1.0 - pv) * pv).clamp_min(static_cast<double>(1e-12f));
          if (want_t) gt = gw * ((1.0 - pv).log() - pv.log());
          return {gp, gt};
        });
  }
  return reduce(out, reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
  const char* op = "binary_cross_entropy_with_logits";
  check_reduction(op, reduction);
  check_floating(op, "input", logits);
  check_floating(op, "target", target);
  check_same_shape(op, "input", logits, "target", target);
  detail::check_same_dtype(op, logits, target);
  check_broadcast_weight(op, "weight", weight, logits);
  check_broadcast_weight(op, "pos_weight", pos_weight, logits);
  Tensor out = kernels::dispatch_floating(logits.dtype(), op, [&]<typename T>() {
    return map4<T>(logits.shape(), logits, target, weight_or_one(weight, logits.dtype()),
                   weight_or_one(pos_weight, logits.dtype()), [](T x, T t, T w, T pw) {
                     // -log(sigmoid(x)) = max(-x, 0) + log(1 + exp(-|x|)) without overflow.
                     const T softplus_neg = std::max(-x, T(0)) + std::log1p(std::exp(-std::abs(x)));
                     return w * ((T(1) - t) * x + (T(1) + (pw - T(1)) * t) * softplus_neg);
                   });
  });
  if (autograd::needs_grad({logits, target})) {
    out = autograd::record(
        "BinaryCrossEntropyWithLogitsBackward", out, {logits, target},
        [x = SavedTensor(logits), t = SavedTensor(target), w = SavedTensor(weight),
         pw = SavedTensor(pos_weight), want_x = logits.requires_grad(),
         want_t = target.requires_grad()](const Tensor& g) -> TensorList {
          const Tensor& xv = x.get();
          const Tensor& tv = t.get();
          const Tensor gw = w.defined() ? g * w.get() : g;
          Tensor gx, gt;
          if (pw.defined()) {
            const Tensor pt = pw.get() * tv;
            if (want_x) gx = gw * ((pt + 1.0 - tv) * xv.sigmoid() - pt);
            if (want_t) gt = gw * (log_sigmoid(-xv) - pw.get() * log_sigmoid(xv));
          } else {
            if (want_x) gx = gw * (xv.sigmoid() - tv);
            if (want_t) gt = -(gw * xv);
          }
          return {gx, gt};
        });
  }
  return reduce(out, reduction);
}

}  // namespace nabla::nn::functional
