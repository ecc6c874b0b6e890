// nabla::optim::BarzilaiBorwein: gradient descent with the Barzilai-Borwein step size, the
// lectures' rule for choosing the learning rate from the last step (PyTorch has no such optimiser).
//
//   w_{k+1} = w_k - alpha_k * g_k,   s = w_k - w_{k-1},   y = g_k - g_{k-1}
//   BB1 ("long"):  alpha_k = (s.s) / (s.y)
//   BB2 ("short"): alpha_k = (s.y) / (y.y)
//
// over all parameters flattened into one vector. Both are the least-squares fits of a scalar
// (inverse) Hessian to the secant equation: BB1 minimises |s / alpha - y|, BB2 minimises
// |s - alpha * y|. On a quadratic with Hessian A, alpha lies between 1/lambda_max(A) and
// 1/lambda_min(A), and BB2 <= BB1. Reference: J. Barzilai and J. M. Borwein, "Two-point step size
// gradient methods", IMA Journal of Numerical Analysis 8(1):141-148, 1988.
//
// The first step has no previous point and uses `lr`. Safeguard: where the curvature along the
// last step is not positive (s.y <= 0, e.g. a non-convex region or no movement) the formulas give
// a negative or undefined step; nabla then uses `lr` again rather than the last good BB step,
// because the last step's curvature estimate is exactly what just proved unreliable and `lr` is
// the step the user chose as safe. Computed BB steps are clamped to [min_step, max_step].
//
//   optim::BarzilaiBorwein bb(model.parameters(), {.lr = 1e-3, .variant = optim::BBVariant::BB2});
//   for (...) { bb.zero_grad(); loss = ...; loss.backward(); bb.step(); }
//
// BB is meant for full-batch (deterministic) gradients; with mini-batches y mixes curvature
// with sampling noise.
#pragma once

#include <nabla/optim/optimizer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace nabla::optim {

enum class BBVariant {
  BB1,  // long step: (s.s) / (s.y)
  BB2,  // short step: (s.y) / (y.y)
};

struct BarzilaiBorweinOptions {
  double lr = 1e-3;                    // first step, and the fallback when s.y <= 0
  BBVariant variant = BBVariant::BB1;  // which BB formula
  double min_step = 1e-10;             // lower clamp on computed steps
  double max_step = 1e10;              // upper clamp on computed steps
};

/// Barzilai-Borwein gradient descent over a single parameter group. Parameters without a
/// gradient count as having a zero gradient (they do not move). lr = 0 is accepted, as by every
/// optimiser, so that a schedule may reach it; the steps that use lr then stay put.
class BarzilaiBorwein : public Optimizer {
public:
  explicit BarzilaiBorwein(std::vector<Tensor> params, BarzilaiBorweinOptions options = {});
  /// Parameter groups as other optimisers take them; the step size is global, so only one.
  explicit BarzilaiBorwein(std::vector<ParamGroup<BarzilaiBorweinOptions>> groups);

  /// One update; calls the closure (if any) first and returns its loss.
  Tensor step(const Closure& closure = nullptr) override;
  std::string type_name() const override { return "BarzilaiBorwein"; }

  using Optimizer::set_lr;
  double lr(size_t group = 0) const override;
  void set_lr(double lr, size_t group) override;
  const BarzilaiBorweinOptions& options() const { return options_; }

  /// The step size alpha used by the latest step() (0 before the first).
  double last_step_size() const { return step_size_; }
  /// Steps taken so far.
  int64_t iterations() const { return n_iter_; }
  /// Steps that fell back to lr because s.y <= 0 (the first step not counted).
  int64_t fallbacks() const { return fallbacks_; }

  /// "state.<i>.prev_param" and "state.<i>.prev_grad" per parameter, the global
  /// "state.0.n_iter", "state.0.step_size", "state.0.fallbacks", and the options under
  /// "param_groups.0.<option>" (variant as 1 or 2) and "param_groups.0.params".
  nn::StateDict state_dict() const override;
  void load_state_dict(const nn::StateDict& state) override;

private:
  double next_step_size();

  BarzilaiBorweinOptions options_;
  std::vector<Tensor> prev_params_, prev_grads_;  // w_{k-1}, g_{k-1}; empty before the first step
  int64_t n_iter_ = 0;
  int64_t fallbacks_ = 0;
  double step_size_ = 0;
};

}  // namespace nabla::optim
