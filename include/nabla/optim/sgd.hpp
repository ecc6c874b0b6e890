// Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay,
// as torch.optim.SGD. Plain full-batch gradient descent is SGD fed the whole data set.
//
//   optim::SGD sgd(model->parameters(), {.lr = 0.1, .momentum = 0.9});
//
// With g the gradient (negated when maximize), p the parameter and b the momentum buffer:
//   g += weight_decay * p
//   b = g on the first step, then b = momentum * b + (1 - dampening) * g
//   g = nesterov ? g + momentum * b : b        (when momentum != 0)
//   p -= lr * g
#pragma once

#include <nabla/optim/optimizer.hpp>

#include <limits>

namespace nabla::optim {

struct SGDOptions {
  /// Required, as in PyTorch: there is no default learning rate.
  double lr = std::numeric_limits<double>::quiet_NaN();
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  /// Nesterov momentum; needs momentum > 0 and dampening == 0.
  bool nesterov = false;
  /// Ascend the objective instead of descending it.
  bool maximize = false;

  /// Throws nabla::Error quoting the first invalid value.
  void check() const;
  template <typename F>
  void visit(F&& f) {
    f("lr", lr);
    f("momentum", momentum);
    f("dampening", dampening);
    f("weight_decay", weight_decay);
    f("nesterov", nesterov);
    f("maximize", maximize);
  }
};

/// Per-parameter state: the momentum buffer (only when momentum != 0, from the first step).
struct SGDState {
  Tensor momentum_buffer;

  template <typename F>
  void visit(F&& f) {
    f("momentum_buffer", momentum_buffer);
  }
};

class SGD : public OptimizerBase<SGDOptions, SGDState> {
public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  explicit SGD(std::vector<ParamGroup<SGDOptions>> groups);

  Tensor step(const Closure& closure = nullptr) override;

protected:
  SGDState init_state(const Tensor& param, const SGDOptions& options) const override;
};

}  // namespace nabla::optim
