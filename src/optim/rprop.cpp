// torch.optim.Rprop's update (the single-tensor form of torch/optim/rprop.py), fused into one
// pass per parameter.
#include <nabla/optim/rprop.hpp>

#include "optim/update.hpp"

#include <cmath>

namespace nabla::optim {

void RpropOptions::check() const {
  NABLA_CHECK(lr >= 0, "Rprop: invalid learning rate ", lr, " (must be >= 0)");
  NABLA_CHECK(0 < etas[0] && etas[0] < 1 && 1 < etas[1], "Rprop: invalid eta values ", etas[0], ", ", etas[1],
              " (need 0 < etaminus < 1 < etaplus)");
}

Rprop::Rprop(std::vector<Tensor> params, RpropOptions options)
    : Rprop(std::vector<ParamGroup<RpropOptions>>{{std::move(params), options}}) {}

Rprop::Rprop(std::vector<ParamGroup<RpropOptions>> groups) : OptimizerBase("Rprop", std::move(groups)) {}

RpropState Rprop::init_state(const Tensor& param, const RpropOptions& options) const {
  return {.step = detail::make_counter(0),
          .prev = zeros(param.shape(), param.dtype()),
          .step_size = full(param.shape(), options.lr, param.dtype())};
}

namespace {

template <typename T>
T sign(T x) {
  return x > 0 ? T(1) : x < 0 ? T(-1) : x;  // keeps 0 (and NaN) as they are, as torch.sign
}

template <typename T>
void rprop_update(T* param, const T* grad, T* prev, T* step_size, int64_t n, const RpropOptions& o) {
  const T etaminus = static_cast<T>(o.etas[0]), etaplus = static_cast<T>(o.etas[1]);
  const T min_step = static_cast<T>(o.step_sizes[0]), max_step = static_cast<T>(o.step_sizes[1]);
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T g = o.maximize ? -grad[i] : grad[i];
      const T trend = sign(g * prev[i]);
      const T factor = trend > 0 ? etaplus : trend < 0 ? etaminus : trend == 0 ? T(1) : trend;
      // clamp_(min, max) as PyTorch: max wins when min > max, NaN stays NaN.
      T s = step_size[i] * factor;
      s = s < min_step ? min_step : s;
      step_size[i] = s > max_step ? max_step : s;
      if (factor == etaminus) g = 0;
      param[i] = param[i] + T(-1) * sign(g) * step_size[i];
      prev[i] = g;
    }
  });
}

}  // namespace

Tensor Rprop::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    const RpropOptions& o = options_[group];
    RpropState& state = state_[index];
    if (!state.step.defined()) state = init_state(param, o);
    ++detail::counter(state.step);
    kernels::dispatch_floating(param.dtype(), "Rprop", [&]<typename T>() {
      rprop_update<T>(param.data_ptr<T>(), grad.data_ptr<T>(), state.prev.data_ptr<T>(), state.step_size.data_ptr<T>(),
                      param.numel(), o);
    });
  });
  return loss;
}

}  // namespace nabla::optim
