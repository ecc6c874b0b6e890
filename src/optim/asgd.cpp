// torch.optim.ASGD's update (the single-tensor form of torch/optim/asgd.py), fused into one
// pass per parameter. PyTorch keeps eta and mu in float32 tensors; nabla keeps them in float64.
#include <nabla/optim/asgd.hpp>

#include "optim/update.hpp"

#include <algorithm>
#include <cmath>

namespace nabla::optim {

void ASGDOptions::check() const {
  NABLA_CHECK(lr >= 0, "ASGD: invalid learning rate ", lr, " (must be >= 0)");
  NABLA_CHECK(weight_decay >= 0, "ASGD: invalid weight_decay value ", weight_decay, " (must be >= 0)");
}

ASGD::ASGD(std::vector<Tensor> params, ASGDOptions options)
    : ASGD(std::vector<ParamGroup<ASGDOptions>>{{std::move(params), options}}) {}

ASGD::ASGD(std::vector<ParamGroup<ASGDOptions>> groups) : OptimizerBase("ASGD", std::move(groups)) {}

ASGDState ASGD::init_state(const Tensor& param, const ASGDOptions& options) const {
  return {.step = detail::make_counter(0),
          .eta = detail::make_counter(options.lr),
          .mu = detail::make_counter(1),
          .ax = zeros(param.shape(), param.dtype())};
}

Tensor ASGD::ax(const Tensor& param) const { return state_[index_of(param)].ax; }

namespace {

template <typename T>
struct ASGDScalars {
  T direction;  // -1 when maximizing
  T weight_decay, decay, neg_eta, mu;  // decay = 1 - lambd * eta
  bool l2, average;                    // average: mu != 1
};

template <typename T>
void asgd_kernel(T* __restrict param, const T* __restrict grad, T* __restrict ax, int64_t n, const ASGDScalars<T> s) {
  for (int64_t i = 0; i < n; ++i) {
    const T g0 = grad[i] * s.direction;
    const T g = s.l2 ? g0 + s.weight_decay * param[i] : g0;
    const T p = param[i] * s.decay + s.neg_eta * g;
    param[i] = p;
    ax[i] = s.average ? ax[i] + (p - ax[i]) * s.mu : p;
  }
}

template <typename T>
void asgd_update(T* param, const T* grad, T* ax, int64_t n, double eta, double mu, const ASGDOptions& o) {
  const ASGDScalars<T> s{.direction = static_cast<T>(o.maximize ? -1 : 1),
                         .weight_decay = static_cast<T>(o.weight_decay),
                         .decay = static_cast<T>(1 - o.lambd * eta),
                         .neg_eta = static_cast<T>(-eta),
                         .mu = static_cast<T>(mu),
                         .l2 = o.weight_decay != 0,
                         .average = mu != 1};
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    asgd_kernel<T>(param + begin, grad + begin, ax + begin, end - begin, s);
  });
}

}  // namespace

Tensor ASGD::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    const ASGDOptions& o = options_[group];
    ASGDState& state = state_[index];
    if (!state.step.defined()) state = init_state(param, o);
    const double step = ++detail::counter(state.step);
    double& eta = detail::counter(state.eta);
    double& mu = detail::counter(state.mu);
    kernels::dispatch_floating(param.dtype(), "ASGD", [&]<typename T>() {
      asgd_update<T>(param.data_ptr<T>(), grad.data_ptr<T>(), state.ax.data_ptr<T>(), param.numel(), eta, mu, o);
    });
    eta = o.lr / std::pow(1 + o.lambd * o.lr * step, o.alpha);
    mu = 1 / std::max(1.0, step - o.t0);
  });
  return loss;
}

}  // namespace nabla::optim
