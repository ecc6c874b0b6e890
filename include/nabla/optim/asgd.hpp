// Averaged SGD, as torch.optim.ASGD: SGD with a decaying step size that also keeps a running
// average `ax` of the iterates (Polyak-Ruppert averaging, from step t0 on).
//
//   optim::ASGD asgd(model->parameters(), {.lr = 1e-2, .t0 = 100});
//   ... train ...; Tensor averaged = asgd.ax(weight);
//
// With g the gradient (negated when maximize), p the parameter and t the step count:
//   g += weight_decay * p
//   p *= 1 - lambd * eta;  p -= eta * g
//   ax = p while mu == 1, else ax += mu * (p - ax)
//   eta = lr / (1 + lambd * lr * t)^alpha;  mu = 1 / max(1, t - t0)
#pragma once

#include <nabla/optim/optimizer.hpp>

namespace nabla::optim {

struct ASGDOptions {
  double lr = 1e-2;
  /// Decay term.
  double lambd = 1e-4;
  /// Power of the eta update.
  double alpha = 0.75;
  /// The step at which averaging starts.
  double t0 = 1e6;
  double weight_decay = 0;
  bool maximize = false;

  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("lambd", lambd);
    f("alpha", alpha);
    f("t0", t0);
    f("weight_decay", weight_decay);
    f("maximize", maximize);
  }
};

struct ASGDState {
  Tensor step;  // 0-d float64
  Tensor eta;   // 0-d float64: the current step size
  Tensor mu;    // 0-d float64: the averaging weight
  Tensor ax;    // the averaged parameter

  template <typename F>
  void visit(F&& f) {
    f("step", step);
    f("eta", eta);
    f("mu", mu);
    f("ax", ax);
  }
};

class ASGD : public OptimizerBase<ASGDOptions, ASGDState> {
public:
  ASGD(std::vector<Tensor> params, ASGDOptions options = {});
  explicit ASGD(std::vector<ParamGroup<ASGDOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

  /// The averaged value of `param` (torch's optimizer.state[param]["ax"]), sharing the
  /// optimiser's storage; undefined before the parameter's first update.
  Tensor ax(const Tensor& param) const;

protected:
  ASGDState init_state(const Tensor& param, const ASGDOptions& options) const override;
};

}  // namespace nabla::optim
