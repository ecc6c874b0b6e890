// torch.optim.Adadelta's update (the single-tensor form of torch/optim/adadelta.py), fused
// into one pass per parameter.
#include <nabla/optim/adadelta.hpp>

#include "optim/update.hpp"

#include <cmath>

namespace nabla::optim {

void AdadeltaOptions::check() const {
  NABLA_CHECK(lr >= 0, "Adadelta: invalid learning rate ", lr, " (must be >= 0)");
  NABLA_CHECK(rho >= 0 && rho <= 1, "Adadelta: invalid rho value ", rho, " (must be in [0, 1])");
  NABLA_CHECK(eps >= 0, "Adadelta: invalid epsilon value ", eps, " (must be >= 0)");
  NABLA_CHECK(weight_decay >= 0, "Adadelta: invalid weight_decay value ", weight_decay, " (must be >= 0)");
}

Adadelta::Adadelta(std::vector<Tensor> params, AdadeltaOptions options)
    : Adadelta(std::vector<ParamGroup<AdadeltaOptions>>{{std::move(params), options}}) {}

Adadelta::Adadelta(std::vector<ParamGroup<AdadeltaOptions>> groups) : OptimizerBase("Adadelta", std::move(groups)) {}

AdadeltaState Adadelta::init_state(const Tensor& param, const AdadeltaOptions&) const {
  return {.step = detail::make_counter(0),
          .square_avg = zeros(param.shape(), param.dtype()),
          .acc_delta = zeros(param.shape(), param.dtype())};
}

namespace {

template <typename T>
struct AdadeltaScalars {
  T direction;  // -1 when maximizing
  T rho, rest, eps, weight_decay, neg_lr;
  bool decay;
};

template <typename T>
void adadelta_kernel(T* __restrict param, const T* __restrict grad, T* __restrict square_avg, T* __restrict acc_delta,
                     int64_t n, const AdadeltaScalars<T> s) {
  for (int64_t i = 0; i < n; ++i) {
    const T g0 = grad[i] * s.direction;
    const T g = s.decay ? g0 + s.weight_decay * param[i] : g0;
    const T sq = square_avg[i] * s.rho + s.rest * g * g;
    square_avg[i] = sq;
    const T delta = std::sqrt(acc_delta[i] + s.eps) / std::sqrt(sq + s.eps) * g;
    acc_delta[i] = acc_delta[i] * s.rho + s.rest * delta * delta;
    param[i] = param[i] + s.neg_lr * delta;
  }
}

template <typename T>
void adadelta_update(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n, const AdadeltaOptions& o) {
  const AdadeltaScalars<T> s{.direction = static_cast<T>(o.maximize ? -1 : 1),
                             .rho = static_cast<T>(o.rho),
                             .rest = static_cast<T>(1 - o.rho),
                             .eps = static_cast<T>(o.eps),
                             .weight_decay = static_cast<T>(o.weight_decay),
                             .neg_lr = static_cast<T>(-o.lr),
                             .decay = o.weight_decay != 0};
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    adadelta_kernel<T>(param + begin, grad + begin, square_avg + begin, acc_delta + begin, end - begin, s);
  });
}

}  // namespace

Tensor Adadelta::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    const AdadeltaOptions& o = options_[group];
    AdadeltaState& state = state_[index];
    if (!state.step.defined()) state = init_state(param, o);
    ++detail::counter(state.step);
    kernels::dispatch_floating(param.dtype(), "Adadelta", [&]<typename T>() {
      adadelta_update<T>(param.data_ptr<T>(), grad.data_ptr<T>(), state.square_avg.data_ptr<T>(),
                         state.acc_delta.data_ptr<T>(), param.numel(), o);
    });
  });
  return loss;
}

}  // namespace nabla::optim
