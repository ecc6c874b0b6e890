// torch.optim.SGD's update (the single-tensor form of torch/optim/sgd.py), fused into one
// pass per parameter.
#include <nabla/optim/sgd.hpp>

#include "optim/update.hpp"

#include <cmath>

namespace nabla::optim {

void SGDOptions::check() const {
  NABLA_CHECK(!std::isnan(lr), "SGD: lr is required (SGDOptions{.lr = ...}); PyTorch's SGD has no default");
  NABLA_CHECK(lr >= 0, "SGD: invalid learning rate ", lr, " (must be >= 0)");
  NABLA_CHECK(momentum >= 0, "SGD: invalid momentum value ", momentum, " (must be >= 0)");
  NABLA_CHECK(weight_decay >= 0, "SGD: invalid weight_decay value ", weight_decay, " (must be >= 0)");
  NABLA_CHECK(!nesterov || (momentum > 0 && dampening == 0),
              "SGD: Nesterov momentum requires a momentum and zero dampening (got momentum ", momentum,
              ", dampening ", dampening, ")");
}

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : SGD(std::vector<ParamGroup<SGDOptions>>{{std::move(params), options}}) {}

SGD::SGD(std::vector<ParamGroup<SGDOptions>> groups) : OptimizerBase("SGD", std::move(groups)) {}

SGDState SGD::init_state(const Tensor& param, const SGDOptions& options) const {
  SGDState state;
  if (options.momentum != 0) state.momentum_buffer = zeros(param.shape(), param.dtype());
  return state;
}

namespace {

template <typename T>
void sgd_update(T* param, const T* grad, T* buf, bool first, int64_t n, const SGDOptions& o) {
  const T weight_decay = static_cast<T>(o.weight_decay), momentum = static_cast<T>(o.momentum);
  const T keep = static_cast<T>(1 - o.dampening), neg_lr = static_cast<T>(-o.lr);
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T d = o.maximize ? -grad[i] : grad[i];
      if (o.weight_decay != 0) d = d + weight_decay * param[i];
      if (buf) {
        buf[i] = first ? d : buf[i] * momentum + keep * d;
        d = o.nesterov ? d + momentum * buf[i] : buf[i];
      }
      param[i] = param[i] + neg_lr * d;
    }
  });
}

}  // namespace

Tensor SGD::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    const SGDOptions& o = options_[group];
    SGDState& state = state_[index];
    // PyTorch starts the buffer as a copy of the first (decayed) gradient, not from zero.
    const bool first = o.momentum != 0 && !state.momentum_buffer.defined();
    if (first) state.momentum_buffer = empty(param.shape(), param.dtype());
    const Tensor buf = o.momentum != 0 ? state.momentum_buffer : Tensor();
    kernels::dispatch_floating(param.dtype(), "SGD", [&]<typename T>() {
      sgd_update<T>(param.data_ptr<T>(), grad.data_ptr<T>(), detail::data_or_null<T>(buf), first, param.numel(), o);
    });
  });
  return loss;
}

}  // namespace nabla::optim
