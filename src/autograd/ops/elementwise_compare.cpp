// Comparisons (eq, ne, lt, le, gt, ge) and value tests (isnan, isinf, isfinite) as 1/0 masks in the operands' dtype, where(), and
// allclose. Comparisons are never recorded; where() passes the gradient to whichever
// operand was chosen.
#include "autograd/ops/elementwise.hpp"

#include "autograd/record.hpp"

#include <cmath>
#include <functional>

namespace nabla {

using autograd::record;
using autograd::SavedTensor;
using autograd::TensorList;
using elementwise::map_new;

namespace {

// Mask of cmp(a, b) over the broadcast shape, in the operands' (common) dtype.
template <typename Cmp>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, Cmp cmp) {
  const Shape shape = elementwise::binary_shape(op, a, b);
  return kernels::dispatch(a.dtype(), [&]<typename T>() {
    return map_new<T, T, T>(shape, a, b, [cmp](T x, T y) { return static_cast<T>(cmp(x, y)); });
  });
}

// Mask of cmp(x, s). A float tensor compares with s rounded to its dtype (as PyTorch does);
// an integer tensor compares in double, so x < 0.5 means what it says.
template <typename Cmp>
Tensor compare_scalar(const char* op, const Tensor& a, double s, Cmp cmp) {
  detail::check_defined(op, a);
  return kernels::dispatch(a.dtype(), [&]<typename T>() {
    using C = std::conditional_t<std::is_floating_point_v<T>, T, double>;
    const C v = static_cast<C>(s);
    return map_new<T, T>(a.shape(), a, [cmp, v](T x) { return static_cast<T>(cmp(static_cast<C>(x), v)); });
  });
}

// Mask of test(x) in the tensor's dtype; integers are never NaN or infinite.
template <typename Test>
Tensor classify(const char* op, const Tensor& a, Test test) {
  detail::check_defined(op, a);
  return kernels::dispatch(a.dtype(), [&]<typename T>() {
    return map_new<T, T>(a.shape(), a, [test](T x) {
      if constexpr (std::is_floating_point_v<T>) return static_cast<T>(test(x));
      else return static_cast<T>(test(0.0));
    });
  });
}

// g where the condition is nonzero (take == true) or zero (take == false), else 0.
Tensor where_grad(const Tensor& g, const Tensor& condition, bool take) {
  return kernels::dispatch_floating(g.dtype(), "where backward", [&]<typename T>() {
    return kernels::dispatch(condition.dtype(), [&]<typename TC>() {
      return map_new<T, T, TC>(g.shape(), g, condition,
                               [take](T gv, TC c) { return (c != TC(0)) == take ? gv : T(0); });
    });
  });
}

}  // namespace

Tensor Tensor::eq(const Tensor& other) const { return compare("eq", *this, other, std::equal_to<>()); }
Tensor Tensor::ne(const Tensor& other) const { return compare("ne", *this, other, std::not_equal_to<>()); }
Tensor Tensor::lt(const Tensor& other) const { return compare("lt", *this, other, std::less<>()); }
Tensor Tensor::le(const Tensor& other) const { return compare("le", *this, other, std::less_equal<>()); }
Tensor Tensor::gt(const Tensor& other) const { return compare("gt", *this, other, std::greater<>()); }
Tensor Tensor::ge(const Tensor& other) const { return compare("ge", *this, other, std::greater_equal<>()); }
Tensor Tensor::eq(double other) const { return compare_scalar("eq", *this, other, std::equal_to<>()); }
Tensor Tensor::ne(double other) const { return compare_scalar("ne", *this, other, std::not_equal_to<>()); }
Tensor Tensor::lt(double other) const { return compare_scalar("lt", *this, other, std::less<>()); }
Tensor Tensor::le(double other) const { return compare_scalar("le", *this, other, std::less_equal<>()); }
Tensor Tensor::gt(double other) const { return compare_scalar("gt", *this, other, std::greater<>()); }
Tensor Tensor::ge(double other) const { return compare_scalar("ge", *this, other, std::greater_equal<>()); }

Tensor Tensor::isnan() const { return classify("isnan", *this, [](auto x) { return std::isnan(x); }); }
Tensor Tensor::isinf() const { return classify("isinf", *this, [](auto x) { return std::isinf(x); }); }
Tensor Tensor::isfinite() const { return classify("isfinite", *this, [](auto x) { return std::isfinite(x); }); }

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  detail::check_defined("where", condition);
  const Shape ab = elementwise::binary_shape("where", a, b);
  const Shape shape = elementwise::broadcast_shape("where", condition.shape(), ab);
  Tensor out = kernels::dispatch(a.dtype(), [&]<typename T>() {
    return kernels::dispatch(condition.dtype(), [&]<typename TC>() {
      return map_new<T, TC, T, T>(shape, condition, a, b, [](TC c, T x, T y) { return c != TC(0) ? x : y; });
    });
  });
  if (!autograd::needs_grad({a, b})) return out;
  return record("WhereBackward", out, {a, b},
                [sc = SavedTensor(condition), sa = a.shape(), sb = b.shape(), ga = a.requires_grad(),
                 gb = b.requires_grad()](const Tensor& g) -> TensorList {
                  const Tensor& c = sc.get();
                  return {ga ? where_grad(g, c, true).sum_to_size(sa) : Tensor(),
                          gb ? where_grad(g, c, false).sum_to_size(sb) : Tensor()};
                });
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol) {
  detail::check_defined("allclose", a);
  detail::check_defined("allclose", b);
  NABLA_CHECK(rtol >= 0 && atol >= 0, "allclose: rtol and atol must be non-negative, got rtol=", rtol, ", atol=",
              atol);
  const Shape shape = elementwise::broadcast_shape("allclose", a.shape(), b.shape());
  const Shape a_strides = detail::broadcast_strides(a, shape);
  const Shape b_strides = detail::broadcast_strides(b, shape);
  bool close = true;
  kernels::dispatch(a.dtype(), [&]<typename TA>() {
    kernels::dispatch(b.dtype(), [&]<typename TB>() {
      const TA* pa = a.data_ptr<TA>();
      const TB* pb = b.data_ptr<TB>();
      kernels::for_each_run<2>(shape, {a_strides, b_strides}, [&](const auto& off, int64_t n, const auto& s) {
        for (int64_t k = 0; k < n && close; ++k) {
          const double x = static_cast<double>(pa[off[0] + k * s[0]]);
          const double y = static_cast<double>(pb[off[1] + k * s[1]]);
          // torch.isclose: equal values (infinities included) are close; NaN never is, nor is
          // anything an infinite distance away.
          const double diff = std::abs(x - y);
          close = x == y || (std::isfinite(diff) && diff <= atol + rtol * std::abs(y));
        }
      });
    });
  });
  return close;
}

}  // namespace nabla
