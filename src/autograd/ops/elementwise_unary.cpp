// Unary elementwise ops (neg, exp, log, sqrt, abs, sign, square, sigmoid, tanh, relu, clamp).
// Backward follows PyTorch's conventions: abs'(0) = relu'(0) = 0, sign' = 0, clamp passes the
// gradient where min <= x <= max, sigmoid and tanh differentiate from their saved output.
#include "autograd/ops/elementwise.hpp"

#include "autograd/record.hpp"

namespace nabla {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;
using elementwise::map_new;

namespace {

// out[i] = f(x[i]) for every dtype.
template <typename F>
Tensor unary_any(const char* op, const Tensor& x, F f) {
  detail::check_defined(op, x);
  return kernels::dispatch(x.dtype(), [&]<typename T>() {
    return map_new<T, T>(x.shape(), x, [f](T v) { return static_cast<T>(f(v)); });
  });
}

// out[i] = f(x[i]) for float32/float64 only; the error names `op`.
template <typename F>
Tensor unary_floating(const char* op, const Tensor& x, F f) {
  detail::check_defined(op, x);
  return kernels::dispatch_floating(x.dtype(), op, [&]<typename T>() {
    return map_new<T, T>(x.shape(), x, [f](T v) { return static_cast<T>(f(v)); });
  });
}

// A fused backward kernel: grad[i] = f(g[i], s[i]) where s is a saved input or output
// (one pass instead of a chain of temporaries).
template <typename F>
Tensor grad_kernel(const char* op, const Tensor& g, const Tensor& s, F f) {
  return kernels::dispatch_floating(g.dtype(), op, [&]<typename T>() {
    return map_new<T, T, T>(g.shape(), g, s, [f](T gv, T sv) { return static_cast<T>(f(gv, sv)); });
  });
}

}  // namespace

Tensor Tensor::neg() const {
  Tensor out = unary_any("neg", *this, [](auto v) { return -v; });
  return record("NegBackward", out, {*this}, [](const Tensor& g) -> TensorList { return {g.neg()}; });
}

Tensor Tensor::exp() const {
  Tensor out = unary_floating("exp", *this, [](auto v) { return std::exp(v); });
  if (!autograd::needs_grad({*this})) return out;
  return record("ExpBackward", out, {*this}, [so = SavedTensor(out)](const Tensor& g) -> TensorList {
    return {g.mul(so.get())};
  });
}

Tensor Tensor::log() const {
  Tensor out = unary_floating("log", *this, [](auto v) { return std::log(v); });
  if (!autograd::needs_grad({*this})) return out;
  return record("LogBackward", out, {*this}, [sx = SavedTensor(*this)](const Tensor& g) -> TensorList {
    return {g.div(sx.get())};
  });
}

Tensor Tensor::sqrt() const {
  Tensor out = unary_floating("sqrt", *this, [](auto v) { return std::sqrt(v); });
  if (!autograd::needs_grad({*this})) return out;
  return record("SqrtBackward", out, {*this}, [so = SavedTensor(out)](const Tensor& g) -> TensorList {
    return {grad_kernel("sqrt backward", g, so.get(), [](auto gv, auto y) { return gv / (y + y); })};
  });
}

Tensor Tensor::abs() const {
  Tensor out = unary_any("abs", *this, [](auto v) {
    if constexpr (std::is_unsigned_v<decltype(v)>) {
      return v;
    } else {
      return v < 0 ? -v : v;
    }
  });
  if (!autograd::needs_grad({*this})) return out;
  return record("AbsBackward", out, {*this}, [sx = SavedTensor(*this)](const Tensor& g) -> TensorList {
    return {grad_kernel("abs backward", g, sx.get(), [](auto gv, auto x) {
      using T = decltype(gv);
      return x > T(0) ? gv : (x < T(0) ? -gv : T(0));
    })};
  });
}

Tensor Tensor::sign() const {
  Tensor out = unary_any("sign", *this, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_unsigned_v<T>) {
      return static_cast<T>(v != 0);
    } else {
      return static_cast<T>((T(0) < v) - (v < T(0)));
    }
  });
  return record("SignBackward", out, {*this},
                [](const Tensor& g) -> TensorList { return {zeros(g.shape(), g.dtype())}; });
}

Tensor Tensor::square() const {
  Tensor out = unary_any("square", *this, [](auto v) { return v * v; });
  if (!autograd::needs_grad({*this})) return out;
  return record("SquareBackward", out, {*this}, [sx = SavedTensor(*this)](const Tensor& g) -> TensorList {
    return {grad_kernel("square backward", g, sx.get(), [](auto gv, auto x) { return gv * (x + x); })};
  });
}

Tensor Tensor::sigmoid() const {
  Tensor out = unary_floating("sigmoid", *this, [](auto v) {
    using T = decltype(v);
    return T(1) / (T(1) + std::exp(-v));
  });
  if (!autograd::needs_grad({*this})) return out;
  return record("SigmoidBackward", out, {*this}, [so = SavedTensor(out)](const Tensor& g) -> TensorList {
    return {grad_kernel("sigmoid backward", g, so.get(), [](auto gv, auto s) {
      using T = decltype(gv);
      return gv * ((T(1) - s) * s);
    })};
  });
}

Tensor Tensor::tanh() const {
  Tensor out = unary_floating("tanh", *this, [](auto v) { return std::tanh(v); });
  if (!autograd::needs_grad({*this})) return out;
  return record("TanhBackward", out, {*this}, [so = SavedTensor(out)](const Tensor& g) -> TensorList {
    return {grad_kernel("tanh backward", g, so.get(), [](auto gv, auto t) {
      using T = decltype(gv);
      // (1 - t)(1 + t), not 1 - t*t: for |t| near 1 the subtraction is exact, so no digits are
      // lost to cancellation and the result does not depend on whether the compiler fuses t*t.
      return gv * ((T(1) - t) * (T(1) + t));
    })};
  });
}

Tensor Tensor::relu() const {
  // `v < 0 ? 0 : v` keeps NaN (and -0.0) as PyTorch's relu does.
  Tensor out = unary_any("relu", *this, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_unsigned_v<T>) {
      return v;
    } else {
      return v < T(0) ? T(0) : v;
    }
  });
  if (!autograd::needs_grad({*this})) return out;
  // PyTorch's threshold_backward on the output: zero where out <= 0, so relu'(0) = 0.
  return record("ReluBackward", out, {*this}, [so = SavedTensor(out)](const Tensor& g) -> TensorList {
    return {grad_kernel("relu backward", g, so.get(), [](auto gv, auto y) {
      using T = decltype(gv);
      return y <= T(0) ? T(0) : gv;
    })};
  });
}

Tensor Tensor::clamp(std::optional<double> min, std::optional<double> max) const {
  detail::check_defined("clamp", *this);
  NABLA_CHECK(min || max, "clamp: at least one of min and max must be given (tensor of shape ", shape(), ")");
  // x < lo and x > hi are false for NaN, so NaN passes through; lo > hi gives hi everywhere
  // (torch.clamp's min(max(x, lo), hi)).
  Tensor out = kernels::dispatch(dtype(), [&]<typename T>() {
    const auto [lo, hi] = elementwise::clamp_bounds<T>("clamp", min, max);
    return map_new<T, T>(shape(), *this, [lo = lo, hi = hi](T v) {
      const T low = v < lo ? lo : v;
      return low > hi ? hi : low;
    });
  });
  if (!autograd::needs_grad({*this})) return out;
  return record("ClampBackward", out, {*this}, [sx = SavedTensor(*this), min, max](const Tensor& g) -> TensorList {
    return {kernels::dispatch_floating(g.dtype(), "clamp backward", [&]<typename T>() {
      const auto [lo, hi] = elementwise::clamp_bounds<T>("clamp", min, max);
      return map_new<T, T, T>(g.shape(), g, sx.get(),
                              [lo = lo, hi = hi](T gv, T x) { return x >= lo && x <= hi ? gv : T(0); });
    })};
  });
}

}  // namespace nabla
