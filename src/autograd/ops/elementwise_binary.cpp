// Binary elementwise ops with NumPy broadcasting (add, sub, mul, div, pow, maximum, minimum),
// their scalar forms and the arithmetic operators. Backward sums each gradient over the
// dimensions its input was broadcast along (sum_to_size).
#include "autograd/ops/elementwise.hpp"

#include "autograd/record.hpp"

#include <algorithm>

namespace nabla {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;
using elementwise::binary_shape;
using elementwise::map_new;
using elementwise::scalar_as;

namespace elementwise {

Shape broadcast_shape(const char* op, const Shape& a, const Shape& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 1; i <= n; ++i) {
    const int64_t da = a[a.size() - i];
    const int64_t db = b[b.size() - i];
    NABLA_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
                " cannot be broadcast together (sizes ", da, " and ", db, " at dimension -", i, ")");
  }
  return broadcast_shapes(a, b);
}

Shape binary_shape(const char* op, const Tensor& a, const Tensor& b) {
  detail::check_defined(op, a);
  detail::check_defined(op, b);
  detail::check_same_dtype(op, a, b);
  return broadcast_shape(op, a.shape(), b.shape());
}

}  // namespace elementwise

namespace {

// Runs f<T>(x, y) over the broadcast of a and b, for every dtype (add, sub, mul, max, min).
template <typename F>
Tensor binary_any(const char* op, const Tensor& a, const Tensor& b, F f) {
  const Shape shape = binary_shape(op, a, b);
  return kernels::dispatch(a.dtype(), [&]<typename T>() {
    return map_new<T, T, T>(shape, a, b, [f](T x, T y) { return static_cast<T>(f(x, y)); });
  });
}

// Same, for ops only defined on floating-point tensors (div, pow).
template <typename F>
Tensor binary_floating(const char* op, const Tensor& a, const Tensor& b, F f) {
  const Shape shape = binary_shape(op, a, b);
  return kernels::dispatch_floating(a.dtype(), op, [&]<typename T>() {
    return map_new<T, T, T>(shape, a, b, [f](T x, T y) { return static_cast<T>(f(x, y)); });
  });
}

// out[i] = f(x[i], s) with s converted to x's dtype; integers allowed unless FloatingOnly.
template <bool FloatingOnly, typename F>
Tensor scalar_op(const char* op, const Tensor& x, double s, F f) {
  detail::check_defined(op, x);
  auto run = [&]<typename T>() {
    const T v = scalar_as<T>(op, s);
    return map_new<T, T>(x.shape(), x, [f, v](T e) { return static_cast<T>(f(e, v)); });
  };
  if constexpr (FloatingOnly) {
    return kernels::dispatch_floating(x.dtype(), op, run);
  } else {
    return kernels::dispatch(x.dtype(), run);
  }
}

// d(a / b)/db times g: -g * a / b^2, over g's (the broadcast) shape.
Tensor div_grad_divisor(const Tensor& g, const Tensor& a, const Tensor& b) {
  return kernels::dispatch_floating(g.dtype(), "div backward", [&]<typename T>() {
    return map_new<T, T, T, T>(g.shape(), g, a, b, [](T gv, T x, T y) { return -gv * x / (y * y); });
  });
}

// PyTorch's pow_backward_self: zero where the exponent is 0, else g * e * x^(e-1).
Tensor pow_grad_base(const Tensor& g, const Tensor& x, const Tensor& e) {
  return kernels::dispatch_floating(g.dtype(), "pow backward", [&]<typename T>() {
    return map_new<T, T, T, T>(g.shape(), g, x, e, [](T gv, T xv, T ev) {
      return ev == T(0) ? T(0) : gv * ev * std::pow(xv, ev - T(1));
    });
  });
}

// PyTorch's pow_backward_exponent: zero where x == 0 and e >= 0 (0^e is flat there), else
// g * x^e * log(x).
Tensor pow_grad_exponent(const Tensor& g, const Tensor& x, const Tensor& e) {
  return kernels::dispatch_floating(g.dtype(), "pow backward", [&]<typename T>() {
    return map_new<T, T, T, T>(g.shape(), g, x, e, [](T gv, T xv, T ev) {
      return xv == T(0) && ev >= T(0) ? T(0) : gv * std::pow(xv, ev) * std::log(xv);
    });
  });
}

// Gradient of maximum (is_max) or minimum w.r.t. its first operand `x` (the other is `y`):
// g where x wins, g/2 at ties (PyTorch splits it evenly), 0 where x loses.
Tensor extremum_grad(const Tensor& g, const Tensor& x, const Tensor& y, bool is_max) {
  return kernels::dispatch_floating(g.dtype(), is_max ? "maximum backward" : "minimum backward", [&]<typename T>() {
    return map_new<T, T, T, T>(g.shape(), g, x, y, [is_max](T gv, T xv, T yv) {
      const bool loses = is_max ? xv < yv : xv > yv;
      return loses ? T(0) : (xv == yv ? gv / T(2) : gv);
    });
  });
}

// NaN-propagating max/min as torch.maximum/minimum.
template <typename T>
T extremum(T x, T y, bool is_max) {
  if constexpr (std::is_floating_point_v<T>) {
    if (x != x) return x;
    if (y != y) return y;
  }
  return is_max ? (x < y ? y : x) : (y < x ? y : x);
}

Tensor extremum_op(const char* op, const char* node, const Tensor& a, const Tensor& b, bool is_max) {
  Tensor out = binary_any(op, a, b, [is_max](auto x, auto y) { return extremum(x, y, is_max); });
  if (!autograd::needs_grad({a, b})) return out;
  return record(node, out, {a, b},
                [sa = SavedTensor(a), sb = SavedTensor(b), ga = a.requires_grad(), gb = b.requires_grad(),
                 is_max](const Tensor& g) -> TensorList {
                  const Tensor& x = sa.get();
                  const Tensor& y = sb.get();
                  return {ga ? extremum_grad(g, x, y, is_max).sum_to_size(x.shape()) : Tensor(),
                          gb ? extremum_grad(g, y, x, is_max).sum_to_size(y.shape()) : Tensor()};
                });
}

}  // namespace

// ---- tensor-tensor ------------------------------------------------------------------------

Tensor Tensor::add(const Tensor& other) const {
  Tensor out = binary_any("add", *this, other, [](auto x, auto y) { return x + y; });
  if (!autograd::needs_grad({*this, other})) return out;
  return record("AddBackward", out, {*this, other},
                [sa = shape(), sb = other.shape(), ga = requires_grad(), gb = other.requires_grad()](
                    const Tensor& g) -> TensorList {
                  return {ga ? g.sum_to_size(sa) : Tensor(), gb ? g.sum_to_size(sb) : Tensor()};
                });
}

Tensor Tensor::sub(const Tensor& other) const {
  Tensor out = binary_any("sub", *this, other, [](auto x, auto y) { return x - y; });
  if (!autograd::needs_grad({*this, other})) return out;
  return record("SubBackward", out, {*this, other},
                [sa = shape(), sb = other.shape(), ga = requires_grad(), gb = other.requires_grad()](
                    const Tensor& g) -> TensorList {
                  return {ga ? g.sum_to_size(sa) : Tensor(), gb ? g.sum_to_size(sb).neg() : Tensor()};
                });
}

Tensor Tensor::mul(const Tensor& other) const {
  Tensor out = binary_any("mul", *this, other, [](auto x, auto y) { return x * y; });
  if (!autograd::needs_grad({*this, other})) return out;
  // Each gradient needs only the other operand, so save just what will be used.
  const bool ga = requires_grad();
  const bool gb = other.requires_grad();
  return record("MulBackward", out, {*this, other},
                [a = gb ? SavedTensor(*this) : SavedTensor(), b = ga ? SavedTensor(other) : SavedTensor(),
                 sa = shape(), sb = other.shape(), ga, gb](const Tensor& g) -> TensorList {
                  return {ga ? g.mul(b.get()).sum_to_size(sa) : Tensor(),
                          gb ? g.mul(a.get()).sum_to_size(sb) : Tensor()};
                });
}

Tensor Tensor::div(const Tensor& other) const {
  Tensor out = binary_floating("div", *this, other, [](auto x, auto y) { return x / y; });
  if (!autograd::needs_grad({*this, other})) return out;
  const bool gb = other.requires_grad();
  return record("DivBackward", out, {*this, other},
                [a = gb ? SavedTensor(*this) : SavedTensor(), b = SavedTensor(other), sa = shape(),
                 ga = requires_grad(), gb](const Tensor& g) -> TensorList {
                  const Tensor& y = b.get();
                  return {ga ? g.div(y).sum_to_size(sa) : Tensor(),
                          gb ? div_grad_divisor(g, a.get(), y).sum_to_size(y.shape()) : Tensor()};
                });
}

Tensor Tensor::pow(const Tensor& exponent) const {
  Tensor out = binary_floating("pow", *this, exponent, [](auto x, auto y) { return std::pow(x, y); });
  if (!autograd::needs_grad({*this, exponent})) return out;
  return record("PowBackward", out, {*this, exponent},
                [sx = SavedTensor(*this), se = SavedTensor(exponent), ga = requires_grad(),
                 gb = exponent.requires_grad()](const Tensor& g) -> TensorList {
                  const Tensor& x = sx.get();
                  const Tensor& e = se.get();
                  return {ga ? pow_grad_base(g, x, e).sum_to_size(x.shape()) : Tensor(),
                          gb ? pow_grad_exponent(g, x, e).sum_to_size(e.shape()) : Tensor()};
                });
}

Tensor Tensor::maximum(const Tensor& other) const {
  return extremum_op("maximum", "MaximumBackward", *this, other, true);
}

Tensor Tensor::minimum(const Tensor& other) const {
  return extremum_op("minimum", "MinimumBackward", *this, other, false);
}

Tensor maximum(const Tensor& a, const Tensor& b) { return a.maximum(b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return a.minimum(b); }

// ---- tensor-scalar (the scalar takes the tensor's dtype) -------------------------------------

Tensor Tensor::add(double other) const {
  Tensor out = scalar_op<false>("add", *this, other, [](auto x, auto s) { return x + s; });
  return record("AddBackward", out, {*this}, [](const Tensor& g) -> TensorList { return {g}; });
}

Tensor Tensor::sub(double other) const {
  Tensor out = scalar_op<false>("sub", *this, other, [](auto x, auto s) { return x - s; });
  return record("SubBackward", out, {*this}, [](const Tensor& g) -> TensorList { return {g}; });
}

Tensor Tensor::mul(double other) const {
  Tensor out = scalar_op<false>("mul", *this, other, [](auto x, auto s) { return x * s; });
  return record("MulBackward", out, {*this}, [other](const Tensor& g) -> TensorList { return {g.mul(other)}; });
}

Tensor Tensor::div(double other) const {
  Tensor out = scalar_op<true>("div", *this, other, [](auto x, auto s) { return x / s; });
  return record("DivBackward", out, {*this}, [other](const Tensor& g) -> TensorList { return {g.div(other)}; });
}

Tensor Tensor::pow(double exponent) const {
  // The common exponents skip std::pow, as PyTorch's kernel does.
  Tensor out = scalar_op<true>("pow", *this, exponent, [](auto x, auto p) {
    using T = decltype(x);
    if (p == T(2)) return x * x;
    if (p == T(0.5)) return std::sqrt(x);
    if (p == T(-1)) return T(1) / x;
    return std::pow(x, p);
  });
  if (!autograd::needs_grad({*this})) return out;
  return record("PowBackward", out, {*this}, [sx = SavedTensor(*this), exponent](const Tensor& g) -> TensorList {
    const Tensor& x = sx.get();
    if (exponent == 0.0) return {zeros(x.shape(), x.dtype())};
    return {kernels::dispatch_floating(g.dtype(), "pow backward", [&]<typename T>() {
      const T p = static_cast<T>(exponent);
      return map_new<T, T, T>(g.shape(), g, x, [p](T gv, T xv) { return gv * p * std::pow(xv, p - T(1)); });
    })};
  });
}

// ---- scalar-tensor (s - x, s / x) ------------------------------------------------------------

namespace {

Tensor rsub(double s, const Tensor& x) {
  Tensor out = scalar_op<false>("rsub", x, s, [](auto e, auto v) { return v - e; });
  return record("RsubBackward", out, {x}, [](const Tensor& g) -> TensorList { return {g.neg()}; });
}

Tensor rdiv(double s, const Tensor& x) {
  Tensor out = scalar_op<true>("div", x, s, [](auto e, auto v) { return v / e; });
  if (!autograd::needs_grad({x})) return out;
  return record("DivBackward", out, {x}, [sx = SavedTensor(x), s](const Tensor& g) -> TensorList {
    const Tensor& xv = sx.get();
    return {kernels::dispatch_floating(g.dtype(), "div backward", [&]<typename T>() {
      const T v = static_cast<T>(s);
      return map_new<T, T, T>(g.shape(), g, xv, [v](T gv, T e) { return -gv * v / (e * e); });
    })};
  });
}

}  // namespace

// ---- operators -----------------------------------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) { return a.add(b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return a.sub(b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return a.mul(b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return a.div(b); }
Tensor operator+(const Tensor& a, double b) { return a.add(b); }
Tensor operator-(const Tensor& a, double b) { return a.sub(b); }
Tensor operator*(const Tensor& a, double b) { return a.mul(b); }
Tensor operator/(const Tensor& a, double b) { return a.div(b); }
Tensor operator+(double a, const Tensor& b) { return b.add(a); }
Tensor operator-(double a, const Tensor& b) { return rsub(a, b); }
Tensor operator*(double a, const Tensor& b) { return b.mul(a); }
Tensor operator/(double a, const Tensor& b) { return rdiv(a, b); }
Tensor operator-(const Tensor& a) { return a.neg(); }

}  // namespace nabla
