// Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW.
//
//   optim::Adam adam(model->parameters(), {.lr = 1e-3});
//   optim::AdamW adamw(model->parameters(), {.lr = 1e-3, .weight_decay = 1e-2});
//
// With g the gradient (negated when maximize), p the parameter and t the step count:
//   Adam:  g += weight_decay * p               (L2 penalty folded into the gradient)
//   AdamW: p *= 1 - lr * weight_decay          (decoupled weight decay)
//   m = beta1 * m + (1 - beta1) * g            v = beta2 * v + (1 - beta2) * g^2
//   v_max = max(v_max, v), used instead of v  (amsgrad)
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
#pragma once

#include <nabla/optim/optimizer.hpp>

#include <array>

namespace nabla::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  /// L2 penalty added to the gradient (for decoupled decay use AdamW).
  double weight_decay = 0;
  /// Normalise by the largest second moment seen so far (AMSGrad).
  bool amsgrad = false;
  bool maximize = false;

  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("amsgrad", amsgrad);
    f("maximize", maximize);
  }
};

/// AdamW's options: Adam's, with PyTorch's default decoupled weight decay of 1e-2.
struct AdamWOptions {
  double lr = 1e-3;
  std::array<double, 2> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;

  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("betas", betas);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("amsgrad", amsgrad);
    f("maximize", maximize);
  }
};

/// Per-parameter state of Adam and AdamW.
struct AdamState {
  Tensor step;            // 0-d float64: updates so far
  Tensor exp_avg;         // m, like the parameter
  Tensor exp_avg_sq;      // v
  Tensor max_exp_avg_sq;  // v_max, with amsgrad only

  template <typename F>
  void visit(F&& f) {
    f("step", step);
    f("exp_avg", exp_avg);
    f("exp_avg_sq", exp_avg_sq);
    f("max_exp_avg_sq", max_exp_avg_sq);
  }
};

class Adam : public OptimizerBase<AdamOptions, AdamState> {
public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  explicit Adam(std::vector<ParamGroup<AdamOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

protected:
  AdamState init_state(const Tensor& param, const AdamOptions& options) const override;
};

class AdamW : public OptimizerBase<AdamWOptions, AdamState> {
public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  explicit AdamW(std::vector<ParamGroup<AdamWOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

protected:
  AdamState init_state(const Tensor& param, const AdamWOptions& options) const override;
};

}  // namespace nabla::optim
