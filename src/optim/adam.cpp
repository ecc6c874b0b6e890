// torch.optim.Adam and AdamW (the single-tensor forms of torch/optim/adam.py and adamw.py),
// sharing one fused pass per parameter; they differ only in where weight decay enters.
#include <nabla/optim/adam.hpp>

#include "optim/update.hpp"

#include <cmath>

namespace nabla::optim {

namespace {

template <typename Options>
void check_adam(const char* name, const Options& o) {
  NABLA_CHECK(o.lr >= 0, name, ": invalid learning rate ", o.lr, " (must be >= 0)");
  NABLA_CHECK(o.eps >= 0, name, ": invalid epsilon value ", o.eps, " (must be >= 0)");
  NABLA_CHECK(o.betas[0] >= 0 && o.betas[0] < 1, name, ": invalid beta parameter at index 0: ", o.betas[0],
              " (must be in [0, 1))");
  NABLA_CHECK(o.betas[1] >= 0 && o.betas[1] < 1, name, ": invalid beta parameter at index 1: ", o.betas[1],
              " (must be in [0, 1))");
  NABLA_CHECK(o.weight_decay >= 0, name, ": invalid weight_decay value ", o.weight_decay, " (must be >= 0)");
}

template <typename Options>
AdamState init_adam(const Tensor& param, const Options& o) {
  AdamState state;
  state.step = detail::make_counter(0);
  state.exp_avg = zeros(param.shape(), param.dtype());
  state.exp_avg_sq = zeros(param.shape(), param.dtype());
  if (o.amsgrad) state.max_exp_avg_sq = zeros(param.shape(), param.dtype());
  return state;
}

// The scalars of one step, computed in double as PyTorch does in Python.
struct AdamStep {
  double beta1, beta2, eps, weight_decay;
  double decay;                  // AdamW's factor 1 - lr * weight_decay
  double step_size;              // lr / (1 - beta1^t)
  double bias_correction2_sqrt;  // sqrt(1 - beta2^t)
  bool decoupled, amsgrad, maximize;
};

// The same in the parameter's type (PyTorch casts them so too), with the option switches as
// loop-invariant flags.
template <typename T>
struct AdamScalars {
  T direction;  // -1 when maximizing
  T beta1, rest1, beta2, rest2, weight_decay, decay, eps, neg_step_size, bias_correction2_sqrt;
  bool l2, decoupled;  // weight decay folded into the gradient (Adam) or into the parameter (AdamW)
};

// Elements [0, n) of one chunk; max_exp_avg_sq is used with Amsgrad only.
template <bool Amsgrad, typename T>
void adam_kernel(T* __restrict param, const T* __restrict grad, T* __restrict exp_avg, T* __restrict exp_avg_sq,
                 T* __restrict max_exp_avg_sq, int64_t n, const AdamScalars<T> s) {
  for (int64_t i = 0; i < n; ++i) {
    const T p = s.decoupled ? param[i] * s.decay : param[i];
    const T g0 = grad[i] * s.direction;
    const T g = s.l2 ? g0 + s.weight_decay * p : g0;
    const T m = exp_avg[i] * s.beta1 + s.rest1 * g;
    const T v = exp_avg_sq[i] * s.beta2 + s.rest2 * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    T second = v;
    if constexpr (Amsgrad) {
      second = detail::maximum(max_exp_avg_sq[i], v);
      max_exp_avg_sq[i] = second;
    }
    param[i] = p + s.neg_step_size * m / (std::sqrt(second) / s.bias_correction2_sqrt + s.eps);
  }
}

template <typename T>
void adam_update(T* param, const T* grad, T* exp_avg, T* exp_avg_sq, T* max_exp_avg_sq, int64_t n, const AdamStep& a) {
  const AdamScalars<T> s{.direction = static_cast<T>(a.maximize ? -1 : 1),
                         .beta1 = static_cast<T>(a.beta1),
                         .rest1 = static_cast<T>(1 - a.beta1),
                         .beta2 = static_cast<T>(a.beta2),
                         .rest2 = static_cast<T>(1 - a.beta2),
                         .weight_decay = static_cast<T>(a.weight_decay),
                         .decay = static_cast<T>(a.decay),
                         .eps = static_cast<T>(a.eps),
                         .neg_step_size = static_cast<T>(-a.step_size),
                         .bias_correction2_sqrt = static_cast<T>(a.bias_correction2_sqrt),
                         .l2 = !a.decoupled && a.weight_decay != 0,
                         .decoupled = a.decoupled};
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    if (a.amsgrad) {
      adam_kernel<true, T>(param + begin, grad + begin, exp_avg + begin, exp_avg_sq + begin, max_exp_avg_sq + begin,
                           end - begin, s);
    } else {
      adam_kernel<false, T>(param + begin, grad + begin, exp_avg + begin, exp_avg_sq + begin, nullptr, end - begin, s);
    }
  });
}

// One parameter's Adam (decoupled = false) or AdamW (decoupled = true) update.
template <typename Options>
void step_param(const char* name, Tensor& param, const Tensor& grad, AdamState& state, const Options& o,
                bool decoupled) {
  if (!state.step.defined()) state = init_adam(param, o);
  if (o.amsgrad && !state.max_exp_avg_sq.defined()) state.max_exp_avg_sq = zeros(param.shape(), param.dtype());
  const double step = ++detail::counter(state.step);
  const AdamStep s{.beta1 = o.betas[0],
                   .beta2 = o.betas[1],
                   .eps = o.eps,
                   .weight_decay = o.weight_decay,
                   .decay = 1 - o.lr * o.weight_decay,
                   .step_size = o.lr / (1 - std::pow(o.betas[0], step)),
                   .bias_correction2_sqrt = std::sqrt(1 - std::pow(o.betas[1], step)),
                   .decoupled = decoupled,
                   .amsgrad = o.amsgrad,
                   .maximize = o.maximize};
  kernels::dispatch_floating(param.dtype(), name, [&]<typename T>() {
    adam_update<T>(param.data_ptr<T>(), grad.data_ptr<T>(), state.exp_avg.data_ptr<T>(),
                   state.exp_avg_sq.data_ptr<T>(), detail::data_or_null<T>(state.max_exp_avg_sq), param.numel(), s);
  });
}

}  // namespace

void AdamOptions::check() const { check_adam("Adam", *this); }
void AdamWOptions::check() const { check_adam("AdamW", *this); }

Adam::Adam(std::vector<Tensor> params, AdamOptions options)
    : Adam(std::vector<ParamGroup<AdamOptions>>{{std::move(params), options}}) {}

Adam::Adam(std::vector<ParamGroup<AdamOptions>> groups) : OptimizerBase("Adam", std::move(groups)) {}

AdamState Adam::init_state(const Tensor& param, const AdamOptions& options) const { return init_adam(param, options); }

Tensor Adam::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    step_param("Adam", param, grad, state_[index], options_[group], /*decoupled=*/false);
  });
  return loss;
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions options)
    : AdamW(std::vector<ParamGroup<AdamWOptions>>{{std::move(params), options}}) {}

AdamW::AdamW(std::vector<ParamGroup<AdamWOptions>> groups) : OptimizerBase("AdamW", std::move(groups)) {}

AdamState AdamW::init_state(const Tensor& param, const AdamWOptions& options) const {
  return init_adam(param, options);
}

Tensor AdamW::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    step_param("AdamW", param, grad, state_[index], options_[group], /*decoupled=*/true);
  });
  return loss;
}

}  // namespace nabla::optim
