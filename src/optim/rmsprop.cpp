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

template <typename T>
struct RMSpropScalars {
  T direction;  // -1 when maximizing
  T alpha, rest, eps, weight_decay, momentum, neg_lr;
  bool decay;
};

// Elements [0, n) of one chunk; grad_avg is used when Centered, buf when Momentum.
template <bool Centered, bool Momentum, typename T>
void rmsprop_kernel(T* __restrict param, const T* __restrict grad, T* __restrict square_avg, T* __restrict grad_avg,
                    T* __restrict buf, int64_t n, const RMSpropScalars<T> s) {
  for (int64_t i = 0; i < n; ++i) {
    const T g0 = grad[i] * s.direction;
    const T g = s.decay ? g0 + s.weight_decay * param[i] : g0;
    const T sq = square_avg[i] * s.alpha + s.rest * g * g;
    square_avg[i] = sq;
    T avg;
    if constexpr (Centered) {
      const T mean = grad_avg[i] * s.alpha + s.rest * g;
      grad_avg[i] = mean;
      avg = std::sqrt(sq + T(-1) * mean * mean) + s.eps;
    } else {
      avg = std::sqrt(sq) + s.eps;
    }
    if constexpr (Momentum) {
      const T b = buf[i] * s.momentum + g / avg;
      buf[i] = b;
      param[i] = param[i] + s.neg_lr * b;
    } else {
      param[i] = param[i] + s.neg_lr * g / avg;
    }
  }
}

template <typename T>
void rmsprop_update(T* param, const T* grad, T* square_avg, T* grad_avg, T* buf, int64_t n, const RMSpropOptions& o) {
  const RMSpropScalars<T> s{.direction = static_cast<T>(o.maximize ? -1 : 1),
                            .alpha = static_cast<T>(o.alpha),
                            .rest = static_cast<T>(1 - o.alpha),
                            .eps = static_cast<T>(o.eps),
                            .weight_decay = static_cast<T>(o.weight_decay),
                            .momentum = static_cast<T>(o.momentum),
                            .neg_lr = static_cast<T>(-o.lr),
                            .decay = o.weight_decay != 0};
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    T* p = param + begin;
    const T* g = grad + begin;
    T* sq = square_avg + begin;
    T* mean = grad_avg ? grad_avg + begin : nullptr;
    T* b = buf ? buf + begin : nullptr;
    const int64_t len = end - begin;
    if (mean && b) rmsprop_kernel<true, true, T>(p, g, sq, mean, b, len, s);
    else if (mean) rmsprop_kernel<true, false, T>(p, g, sq, mean, b, len, s);
    else if (b) rmsprop_kernel<false, true, T>(p, g, sq, mean, b, len, s);
    else rmsprop_kernel<false, false, T>(p, g, sq, mean, b, len, s);
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
