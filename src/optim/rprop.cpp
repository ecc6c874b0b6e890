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
struct RpropScalars {
  T direction;  // -1 when maximizing
  T etaminus, etaplus, min_step, max_step;
};

// torch.sign: -1, 0 or 1, NaN stays NaN.
template <typename T>
T sign(T x) {
  return x > 0 ? T(1) : x < 0 ? T(-1) : x;
}

template <typename T>
void rprop_kernel(T* __restrict param, const T* __restrict grad, T* __restrict prev, T* __restrict step_size, int64_t n,
                  const RpropScalars<T> s) {
  for (int64_t i = 0; i < n; ++i) {
    const T g0 = grad[i] * s.direction;
    const T trend = sign(g0 * prev[i]);
    const T factor = trend > 0 ? s.etaplus : trend < 0 ? s.etaminus : trend == 0 ? T(1) : trend;
    // clamp_(min, max) as PyTorch: max wins when min > max, NaN stays NaN.
    const T grown = step_size[i] * factor;
    const T low = grown < s.min_step ? s.min_step : grown;
    const T step = low > s.max_step ? s.max_step : low;
    step_size[i] = step;
    const T g = factor == s.etaminus ? T(0) : g0;  // no move right after a sign flip
    param[i] = param[i] + T(-1) * sign(g) * step;
    prev[i] = g;
  }
}

template <typename T>
void rprop_update(T* param, const T* grad, T* prev, T* step_size, int64_t n, const RpropOptions& o) {
  const RpropScalars<T> s{.direction = static_cast<T>(o.maximize ? -1 : 1),
                          .etaminus = static_cast<T>(o.etas[0]),
                          .etaplus = static_cast<T>(o.etas[1]),
                          .min_step = static_cast<T>(o.step_sizes[0]),
                          .max_step = static_cast<T>(o.step_sizes[1])};
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    rprop_kernel<T>(param + begin, grad + begin, prev + begin, step_size + begin, end - begin, s);
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
