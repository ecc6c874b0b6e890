// Elementwise losses: mse_loss, l1_loss, hinge_loss (compositions of Tensor ops, so autograd
// differentiates them, twice if asked) and kl_div (a fused forward with a composed backward).
#include "autograd/ops/elementwise.hpp"
#include "autograd/record.hpp"
#include "kernels/dispatch.hpp"
#include "nn/loss_common.hpp"

#include <cmath>

namespace nabla::nn::functional {

using autograd::SavedTensor;
using autograd::TensorList;
using namespace loss_detail;

namespace {

// Checks two broadcastable floating operands of one dtype; returns their broadcast shape.
Shape check_pair(const char* op, const Tensor& input, const Tensor& target) {
  check_floating(op, "input", input);
  check_floating(op, "target", target);
  return elementwise::binary_shape(op, input, target);
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_reduction("mse_loss", reduction);
  check_pair("mse_loss", input, target);
  return reduce((input - target).square(), reduction);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_reduction("l1_loss", reduction);
  check_pair("l1_loss", input, target);
  return reduce((input - target).abs(), reduction);
}

Tensor hinge_loss(const Tensor& scores, const Tensor& target, Reduction reduction) {
  check_reduction("hinge_loss", reduction);
  check_floating("hinge_loss", "scores", scores);
  NABLA_CHECK(target.defined(), "hinge_loss: target is undefined");
  check_same_shape("hinge_loss", "scores", scores, "target", target);
  // Labels must be exactly -1 or +1: {0, 1} labels would silently train the wrong objective.
  const Tensor y = target.detach().to(DType::Float64).contiguous();
  const double* v = y.data_ptr<double>();
  for (int64_t i = 0; i < y.numel(); ++i) {
    NABLA_CHECK(v[i] == 1.0 || v[i] == -1.0, "hinge_loss: target values must be -1 or +1, got ", v[i],
                " at position ", unravel(i, y.shape()), " (for {0, 1} labels use 2 * y - 1)");
  }
  return reduce((1.0 - scores * target.to(scores.dtype())).clamp_min(0.0), reduction);
}

namespace {

// d kl_div / d target without log_target, exactly as PyTorch's autograd of xlogy(t, t) - t * x:
// log(t) + t / t - x, with log(t) replaced by 0 at t == 0 (so the result there is NaN).
Tensor kl_target_grad(const Tensor& g, const Tensor& x, const Tensor& t) {
  const Tensor log_t = where(t.ne(0.0), t.log(), scalar_tensor(0.0, t.dtype()));
  return g * (log_t + t / t - x);
}

}  // namespace

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  const char* op = "kl_div";
  const Shape shape = check_pair(op, input, target);
  // target (log(target) - input), via xlogy(t, t) = 0 at t == 0 (NaN for t < 0, as torch).
  Tensor out = kernels::dispatch_floating(input.dtype(), op, [&]<typename T>() {
    return elementwise::map_new<T, T, T>(shape, input, target, [log_target](T x, T t) {
      if (log_target) return std::exp(t) * (t - x);
      return (t == T(0) ? T(0) : t * std::log(t)) - t * x;
    });
  });
  if (autograd::needs_grad({input, target})) {
    out = autograd::record(
        "KlDivBackward", out, {input, target},
        [x = SavedTensor(input), t = SavedTensor(target), log_target, want_x = input.requires_grad(),
         want_t = target.requires_grad()](const Tensor& g) -> TensorList {
          const Tensor& xv = x.get();
          const Tensor& tv = t.get();
          Tensor gx, gt;
          if (log_target) {
            const Tensor et = tv.exp();
            if (want_x) gx = -(g * et);
            if (want_t) gt = g * et * (tv - xv + 1.0);
          } else {
            if (want_x) gx = -(g * tv);
            if (want_t) gt = kl_target_grad(g, xv, tv);
          }
          return {gx.defined() ? gx.sum_to_size(xv.shape()) : gx, gt.defined() ? gt.sum_to_size(tv.shape()) : gt};
        });
  }
  if (reduction == Reduction::BatchMean) {
    // torch: the sum divided by input.size(0); a 0-d input has no batch dimension.
    return input.ndim() == 0 ? out.sum() : out.sum() / static_cast<double>(input.size(0));
  }
  return reduce(out, reduction);
}

}  // namespace nabla::nn::functional
