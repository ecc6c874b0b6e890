// RMSprop, as torch.optim.RMSprop: steps divided by a running RMS of the gradients, optionally
// centred (by the running mean) and with momentum.
//
//   optim::RMSprop rmsprop(model->parameters(), {.lr = 1e-2, .momentum = 0.9, .centered = true});
//
// With g the gradient (negated when maximize) and p the parameter:
//   g += weight_decay * p
//   square_avg = alpha * square_avg + (1 - alpha) * g^2
//   centered:  grad_avg = alpha * grad_avg + (1 - alpha) * g,  avg = sqrt(square_avg - grad_avg^2) + eps
//   otherwise: avg = sqrt(square_avg) + eps
//   momentum > 0: buf = momentum * buf + g / avg,  p -= lr * buf
//   otherwise:    p -= lr * g / avg
#pragma once

#include <nabla/optim/optimizer.hpp>

namespace nabla::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  /// Normalise by an estimate of the gradient's variance instead of its second moment.
  bool centered = false;
  bool maximize = false;

  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("momentum", momentum);
    f("alpha", alpha);
    f("eps", eps);
    f("centered", centered);
    f("weight_decay", weight_decay);
    f("maximize", maximize);
  }
};

struct RMSpropState {
  Tensor step;             // 0-d float64
  Tensor square_avg;       // like the parameter
  Tensor momentum_buffer;  // when momentum > 0
  Tensor grad_avg;         // when centered

  template <typename F>
  void visit(F&& f) {
    f("step", step);
    f("square_avg", square_avg);
    f("momentum_buffer", momentum_buffer);
    f("grad_avg", grad_avg);
  }
};

class RMSprop : public OptimizerBase<RMSpropOptions, RMSpropState> {
public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
  explicit RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

protected:
  RMSpropState init_state(const Tensor& param, const RMSpropOptions& options) const override;
};

}  // namespace nabla::optim
