// torch.optim.Adagrad's update (the single-tensor form of torch/optim/adagrad.py), fused into
// one pass per parameter.
#include <nabla/optim/adagrad.hpp>

#include "optim/update.hpp"

#include <cmath>

namespace nabla::optim {

void AdagradOptions::check() const {
  NABLA_CHECK(lr >= 0, "Adagrad: invalid learning rate ", lr, " (must be >= 0)");
  NABLA_CHECK(lr_decay >= 0, "Adagrad: invalid lr_decay value ", lr_decay, " (must be >= 0)");
  NABLA_CHECK(weight_decay >= 0, "Adagrad: invalid weight_decay value ", weight_decay, " (must be >= 0)");
  NABLA_CHECK(initial_accumulator_value >= 0, "Adagrad: invalid initial_accumulator_value value ",
              initial_accumulator_value, " (must be >= 0)");
  NABLA_CHECK(eps >= 0, "Adagrad: invalid epsilon value ", eps, " (must be >= 0)");
}

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions options)
    : Adagrad(std::vector<ParamGroup<AdagradOptions>>{{std::move(params), options}}) {}

Adagrad::Adagrad(std::vector<ParamGroup<AdagradOptions>> groups) : OptimizerBase("Adagrad", std::move(groups)) {
  for (size_t g = 0; g < num_groups(); ++g)
    for (size_t k = 0; k < params(g).size(); ++k)
      state_[first_index(g) + k] = init_state(params(g)[k], options_[g]);
}

AdagradState Adagrad::init_state(const Tensor& param, const AdagradOptions& options) const {
  return {.step = detail::make_counter(0),
          .sum = full(param.shape(), options.initial_accumulator_value, param.dtype())};
}

namespace {

template <typename T>
struct AdagradScalars {
  T direction;  // -1 when maximizing
  T weight_decay, eps, neg_clr;
  bool decay;
};

template <typename T>
void adagrad_kernel(T* __restrict param, const T* __restrict grad, T* __restrict sum, int64_t n,
                    const AdagradScalars<T> s) {
  for (int64_t i = 0; i < n; ++i) {
    const T g0 = grad[i] * s.direction;
    const T g = s.decay ? g0 + s.weight_decay * param[i] : g0;
    const T acc = sum[i] + g * g;
    sum[i] = acc;
    param[i] = param[i] + s.neg_clr * g / (std::sqrt(acc) + s.eps);
  }
}

template <typename T>
void adagrad_update(T* param, const T* grad, T* sum, int64_t n, double clr, const AdagradOptions& o) {
  const AdagradScalars<T> s{.direction = static_cast<T>(o.maximize ? -1 : 1),
                            .weight_decay = static_cast<T>(o.weight_decay),
                            .eps = static_cast<T>(o.eps),
                            .neg_clr = static_cast<T>(-clr),
                            .decay = o.weight_decay != 0};
  detail::for_each_chunk(n, [&](int64_t begin, int64_t end) {
    adagrad_kernel<T>(param + begin, grad + begin, sum + begin, end - begin, s);
  });
}

}  // namespace

Tensor Adagrad::step(const Closure& closure) {
  Tensor loss = evaluate(closure);
  for_each_param_with_grad([&](Tensor& param, const Tensor& grad, size_t group, size_t index) {
    const AdagradOptions& o = options_[group];
    AdagradState& state = state_[index];
    if (!state.step.defined()) state = init_state(param, o);  // after loading a dict without it
    const double step = ++detail::counter(state.step);
    const double clr = o.lr / (1 + (step - 1) * o.lr_decay);
    kernels::dispatch_floating(param.dtype(), "Adagrad", [&]<typename T>() {
      adagrad_update<T>(param.data_ptr<T>(), grad.data_ptr<T>(), state.sum.data_ptr<T>(), param.numel(), clr, o);
    });
  });
  return loss;
}

}  // namespace nabla::optim
