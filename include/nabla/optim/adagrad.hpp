// Adagrad, as torch.optim.Adagrad: each coordinate's step shrinks with its accumulated
// squared gradients.
//
//   optim::Adagrad adagrad(model->parameters(), {.lr = 1e-2});
//
// With g the gradient (negated when maximize), p the parameter and t the step count:
//   g += weight_decay * p
//   sum += g^2                                   (sum starts at initial_accumulator_value)
//   p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
#pragma once

#include <nabla/optim/optimizer.hpp>

namespace nabla::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  bool maximize = false;

  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("lr_decay", lr_decay);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("initial_accumulator_value", initial_accumulator_value);
    f("maximize", maximize);
  }
};

/// Per-parameter state; made for every parameter at construction, as PyTorch does. Each group's
/// own initial_accumulator_value is used (PyTorch reads only the constructor's argument and
/// ignores the value in a param-group dict).
struct AdagradState {
  Tensor step;  // 0-d float64
  Tensor sum;   // accumulated squared gradients, like the parameter

  template <typename F>
  void visit(F&& f) {
    f("step", step);
    f("sum", sum);
  }
};

class Adagrad : public OptimizerBase<AdagradOptions, AdagradState> {
public:
  Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
  explicit Adagrad(std::vector<ParamGroup<AdagradOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

protected:
  AdagradState init_state(const Tensor& param, const AdagradOptions& options) const override;
};

}  // namespace nabla::optim
