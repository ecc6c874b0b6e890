// Gradient clipping by total norm and by value (torch/nn/utils/clip_grad.py). Norms accumulate
// in double, in a fixed order, so the result does not depend on the thread count.
#include <nabla/autograd.hpp>
#include <nabla/optim/clip.hpp>

#include "kernels/dispatch.hpp"

#include <cmath>
#include <limits>

namespace nabla::optim {

namespace {

// sum of f(|x[i]|) in 8 interleaved partial sums combined in a fixed order: vectorisable, and
// the same for any thread count.
template <typename T, typename F>
double sum_of(const T* x, int64_t n, F f) {
  double part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) part[k] += f(std::abs(static_cast<double>(x[i + k])));
  for (int k = 0; i < n; ++i, ++k) part[k] += f(std::abs(static_cast<double>(x[i])));
  return ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
}

// torch.norm(x, p) of a flat sequence, accumulated in double: p = +/-inf is the largest/smallest
// |x|, p = 0 counts non-zeros, otherwise (sum |x|^p)^(1/p). NaN anywhere gives NaN (for p != 0).
template <typename T>
double lp_norm(const T* x, int64_t n, double p) {
  if (std::isinf(p)) {
    double acc = p > 0 ? 0.0 : std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < n; ++i) {
      const double a = std::abs(static_cast<double>(x[i]));
      if (std::isnan(a)) return a;
      acc = p > 0 ? std::max(acc, a) : std::min(acc, a);
    }
    return acc;
  }
  if (p == 0) return sum_of(x, n, [](double a) { return a != 0 ? 1.0 : 0.0; });
  if (p == 1) return sum_of(x, n, [](double a) { return a; });
  if (p == 2) return std::sqrt(sum_of(x, n, [](double a) { return a * a; }));
  return std::pow(sum_of(x, n, [p](double a) { return std::pow(a, p); }), 1 / p);
}

double grad_norm(const Tensor& grad, double p) {
  const Tensor g = grad.contiguous();
  return kernels::dispatch_floating(g.dtype(), "clip_grad_norm_",
                                    [&]<typename T>() { return lp_norm(g.data_ptr<T>(), g.numel(), p); });
}

std::vector<Tensor> grads_of(const std::vector<Tensor>& params, const char* op) {
  std::vector<Tensor> grads;
  for (size_t i = 0; i < params.size(); ++i) {
    NABLA_CHECK(params[i].defined(), op, ": parameter ", i, " is undefined");
    if (params[i].grad().defined()) grads.push_back(params[i].grad());
  }
  return grads;
}

}  // namespace

Tensor clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  NABLA_CHECK(!std::isnan(norm_type), "clip_grad_norm_: norm_type is NaN");
  const std::vector<Tensor> grads = grads_of(params, "clip_grad_norm_");
  if (grads.empty()) return scalar_tensor(0.0, DType::Float32);
  // The norm of the per-gradient norms is the norm of all gradients as one vector.
  std::vector<double> norms;
  for (const Tensor& g : grads) norms.push_back(grad_norm(g, norm_type));
  const double total = lp_norm(norms.data(), static_cast<int64_t>(norms.size()), norm_type);
  NABLA_CHECK(!error_if_nonfinite || std::isfinite(total), "clip_grad_norm_: the total norm of order ", norm_type,
              " of the gradients is non-finite (", total,
              "), so it cannot be clipped; pass error_if_nonfinite = false to scale by it anyway");
  const double coef = std::min(max_norm / (total + 1e-6), 1.0);
  NoGradGuard no_grad;
  // As PyTorch, multiplying even when coef is 1 (a NaN norm spreads into every gradient).
  for (const Tensor& g : grads) Tensor(g).mul_(coef);
  return scalar_tensor(total, grads.front().dtype());
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  NoGradGuard no_grad;
  for (const Tensor& g : grads_of(params, "clip_grad_value_")) Tensor(g).clamp_(-clip_value, clip_value);
}

}  // namespace nabla::optim
