// Adadelta, as torch.optim.Adadelta: steps scaled by the ratio of running RMS of past updates
// to running RMS of gradients.
//
//   optim::Adadelta adadelta(model->parameters(), {.lr = 1.0, .rho = 0.9});
//
// With g the gradient (negated when maximize) and p the parameter:
//   g += weight_decay * p
//   square_avg = rho * square_avg + (1 - rho) * g^2
//   delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
//   acc_delta = rho * acc_delta + (1 - rho) * delta^2
//   p -= lr * delta
#pragma once

#include <nabla/optim/optimizer.hpp>

namespace nabla::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0;
  bool maximize = false;

  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("rho", rho);
    f("eps", eps);
    f("weight_decay", weight_decay);
    f("maximize", maximize);
  }
};

struct AdadeltaState {
  Tensor step;        // 0-d float64
  Tensor square_avg;  // like the parameter
  Tensor acc_delta;   // like the parameter

  template <typename F>
  void visit(F&& f) {
    f("step", step);
    f("square_avg", square_avg);
    f("acc_delta", acc_delta);
  }
};

class Adadelta : public OptimizerBase<AdadeltaOptions, AdadeltaState> {
public:
  Adadelta(std::vector<Tensor> params, AdadeltaOptions options = {});
  explicit Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

protected:
  AdadeltaState init_state(const Tensor& param, const AdadeltaOptions& options) const override;
};

}  // namespace nabla::optim
