// Resilient backpropagation, as torch.optim.Rprop: each coordinate moves by its own step size,
// grown while the gradient keeps its sign and shrunk when it flips; only signs are used.
//
//   optim::Rprop rprop(model->parameters(), {.lr = 1e-2, .etas = {0.5, 1.2}});
//
// With g the gradient (negated when maximize), p the parameter, s the step size (starting at
// lr) and prev the previous step's gradient:
//   s = clamp(s * (etaplus if g*prev > 0, etaminus if < 0, 1 if == 0), step_sizes)
//   g = 0 where g*prev < 0          (no move right after a sign flip)
//   p -= sign(g) * s;  prev = g
#pragma once

#include <nabla/optim/optimizer.hpp>

#include <array>

namespace nabla::optim {

struct RpropOptions {
  /// The initial step size of every coordinate.
  double lr = 1e-2;
  /// (etaminus, etaplus): step-size factors after a sign flip and after a kept sign.
  std::array<double, 2> etas = {0.5, 1.2};
  /// (min, max) step size.
  std::array<double, 2> step_sizes = {1e-6, 50};
  bool maximize = false;

  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("etas", etas);
    f("step_sizes", step_sizes);
    f("maximize", maximize);
  }
};

struct RpropState {
  Tensor step;       // 0-d float64
  Tensor prev;       // the previous (masked) gradient, like the parameter
  Tensor step_size;  // per-coordinate step sizes, like the parameter

  template <typename F>
  void visit(F&& f) {
    f("step", step);
    f("prev", prev);
    f("step_size", step_size);
  }
};

class Rprop : public OptimizerBase<RpropOptions, RpropState> {
public:
  Rprop(std::vector<Tensor> params, RpropOptions options = {});
  explicit Rprop(std::vector<ParamGroup<RpropOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

protected:
  RpropState init_state(const Tensor& param, const RpropOptions& options) const override;
};

}  // namespace nabla::optim
