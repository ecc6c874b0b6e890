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

// The step's scalars in the parameter's type (PyTorch casts them so too).
template <typename T>
struct SGDScalars {
  T direction;  // -1 when maximizing
  T weight_decay, momentum, keep, neg_lr;  // keep = 1 - dampening
  bool decay, first, nesterov;
};

// Elements [0, n) of one chunk; buf is null without momentum. Option switches are selects on
// loop-invariant flags, so the loop vectorises.
template <typename T>
void sgd_kernel(T* __restrict param, const T* __restrict grad, T* __restrict buf, int64_t n, const SGDScalars<T> s) {
  if (!buf) {
    for (int64_t i = 0; i < n; ++i) {
      const T g = grad[i] * s.direction;
      const T d = s.decay ? g + s.weight_decay * param[i] : g;
      param[i] = param[i] + s.neg_lr * d;
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const T g = grad[i] * s.direction;
    const T d = s.decay ? g + s.weight_decay * param[i] : g;
    const T b = s.first ? d : buf[i] * s.momentum + s.keep * d;
    buf[i] = b;
    param[i] = param[i] + s.neg_lr * (s.nesterov ? d + s.momentum * b : b);
  }
}

template <typename T>
void sgd_update(T* param, const T* grad, T* buf, bool first, int64_t n, const SGDOptions& o) {
  const SGDScalars<T> s{.direction = static_cast<T>(o.maximize ? -1 : 1),
                        .weight_decay = static_cast<T>(o.weight_decay),
                        .momentum = static_cast<T>(o.momentum),
                        .keep = static_cast<T>(1 - o.dampening),
                        .neg_lr = static_cast<T>(-o.lr),
                        .decay = o.weight_decay != 0,
                        .first = first,
                        .nesterov = o.nesterov};
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    sgd_kernel<T>(param + begin, grad + begin, buf ? buf + begin : nullptr, end - begin, s);
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
