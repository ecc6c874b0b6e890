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
void adadelta_update(T* param, const T* grad, T* square_avg, T* acc_delta, int64_t n, const AdadeltaOptions& o) {
  const T rho = static_cast<T>(o.rho), rest = static_cast<T>(1 - o.rho), eps = static_cast<T>(o.eps);
  const T weight_decay = static_cast<T>(o.weight_decay), neg_lr = static_cast<T>(-o.lr);
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T g = o.maximize ? -grad[i] : grad[i];
      if (o.weight_decay != 0) g = g + weight_decay * param[i];
      square_avg[i] = square_avg[i] * rho + rest * g * g;
      const T std = std::sqrt(square_avg[i] + eps);
      const T delta = std::sqrt(acc_delta[i] + eps) / std * g;
      acc_delta[i] = acc_delta[i] * rho + rest * delta * delta;
      param[i] = param[i] + neg_lr * delta;
    }
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
