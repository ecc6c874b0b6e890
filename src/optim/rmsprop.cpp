// torch.optim.RMSprop's update (the single-tensor form of torch/optim/rmsprop.py), fused into
// one pass per parameter.
#include <nabla/optim/rmsprop.hpp>

#include "optim/update.hpp"

#include <cmath>

namespace nabla::optim {

void RMSpropOptions::check() const {
  NABLA_CHECK(lr >= 0, "RMSprop: invalid learning rate ", lr, " (must be >= 0)");
  NABLA_CHECK(eps >= 0, "RMSprop: invalid epsilon value ", eps, " (must be >= 0)");
  NABLA_CHECK(momentum >= 0, "RMSprop: invalid momentum value ", momentum, " (must be >= 0)");
  NABLA_CHECK(weight_decay >= 0, "RMSprop: invalid weight_decay value ", weight_decay, " (must be >= 0)");
  NABLA_CHECK(alpha >= 0, "RMSprop: invalid alpha value ", alpha, " (must be >= 0)");
}

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions options)
    : RMSprop(std::vector<ParamGroup<RMSpropOptions>>{{std::move(params), options}}) {}

RMSprop::RMSprop(std::vector<ParamGroup<RMSpropOptions>> groups) : OptimizerBase("RMSprop", std::move(groups)) {}

RMSpropState RMSprop::init_state(const Tensor& param, const RMSpropOptions& options) const {
  RMSpropState state;
  state.step = detail::make_counter(0);
  state.square_avg = zeros(param.shape(), param.dtype());
  if (options.momentum > 0) state.momentum_buffer = zeros(param.shape(), param.dtype());
  if (options.centered) state.grad_avg = zeros(param.shape(), param.dtype());
  return state;
}

namespace {

// grad_avg is null unless centered, buf null unless momentum > 0.
template <typename T>
void rmsprop_update(T* param, const T* grad, T* square_avg, T* grad_avg, T* buf, int64_t n, const RMSpropOptions& o) {
  const T alpha = static_cast<T>(o.alpha), rest = static_cast<T>(1 - o.alpha), eps = static_cast<T>(o.eps);
  const T weight_decay = static_cast<T>(o.weight_decay), momentum = static_cast<T>(o.momentum);
  const T neg_lr = static_cast<T>(-o.lr);
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T g = o.maximize ? -grad[i] : grad[i];
      if (o.weight_decay != 0) g = g + weight_decay * param[i];
      square_avg[i] = square_avg[i] * alpha + rest * g * g;
      T avg;
      if (grad_avg) {
        grad_avg[i] = grad_avg[i] * alpha + rest * g;
        avg = std::sqrt(square_avg[i] + T(-1) * grad_avg[i] * grad_avg[i]);
      } else {
        avg = std::sqrt(square_avg[i]);
      }
      avg = avg + eps;
      if (buf) {
        buf[i] = buf[i] * momentum + g / avg;
        param[i] = param[i] + neg_lr * buf[i];
      } else {
        param[i] = param[i] + neg_lr * g / avg;
      }
    }
  });
}

}  // namespace

Tensor RMSprop::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    const RMSpropOptions& o = options_[group];
    RMSpropState& state = state_[index];
    if (!state.step.defined()) state = init_state(param, o);
    // Options changed since the first step (momentum or centered turned on): start that state now.
    if (o.momentum > 0 && !state.momentum_buffer.defined()) state.momentum_buffer = zeros(param.shape(), param.dtype());
    if (o.centered && !state.grad_avg.defined()) state.grad_avg = zeros(param.shape(), param.dtype());
    ++detail::counter(state.step);
    const Tensor grad_avg = o.centered ? state.grad_avg : Tensor();
    const Tensor buf = o.momentum > 0 ? state.momentum_buffer : Tensor();
    kernels::dispatch_floating(param.dtype(), "RMSprop", [&]<typename T>() {
      rmsprop_update<T>(param.data_ptr<T>(), grad.data_ptr<T>(), state.square_avg.data_ptr<T>(),
                        detail::data_or_null<T>(grad_avg), detail::data_or_null<T>(buf), param.numel(), o);
    });
  });
  return loss;
}

}  // namespace nabla::optim
