// Private helpers shared by the elementwise op files (binary, unary, comparisons, in-place):
// broadcasting with the op's name in errors, fresh outputs filled by one strided kernel, and
// scalars converted to a tensor's element type without silently truncating them.
#pragma once

#include "kernels/dispatch.hpp"
#include "kernels/loops.hpp"
#include "tensor/internal.hpp"

#include <cmath>
#include <type_traits>

namespace nabla::elementwise {

/// NumPy broadcast of two shapes; the error names `op` and both shapes.
Shape broadcast_shape(const char* op, const Shape& a, const Shape& b);

/// Checks a binary op's operands (defined, same dtype) and returns their broadcast shape.
Shape binary_shape(const char* op, const Tensor& a, const Tensor& b);

/// A new contiguous (shape) tensor with out[i] = f(a[i]), `a` broadcast to shape.
template <typename TOut, typename TA, typename F>
Tensor map_new(const Shape& shape, const Tensor& a, F f) {
  Tensor out = empty(shape, dtype_of<TOut>());
  kernels::map1(shape, out.data_ptr<TOut>(), out.strides(), a.data_ptr<TA>(), detail::broadcast_strides(a, shape), f);
  return out;
}

/// out[i] = f(a[i], b[i]) over `shape`, both operands broadcast to it.
template <typename TOut, typename TA, typename TB, typename F>
Tensor map_new(const Shape& shape, const Tensor& a, const Tensor& b, F f) {
  Tensor out = empty(shape, dtype_of<TOut>());
  kernels::map2(shape, out.data_ptr<TOut>(), out.strides(), a.data_ptr<TA>(), detail::broadcast_strides(a, shape),
                b.data_ptr<TB>(), detail::broadcast_strides(b, shape), f);
  return out;
}

/// out[i] = f(a[i], b[i], c[i]) over `shape`.
template <typename TOut, typename TA, typename TB, typename TC, typename F>
Tensor map_new(const Shape& shape, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  Tensor out = empty(shape, dtype_of<TOut>());
  kernels::map3(shape, out.data_ptr<TOut>(), out.strides(), a.data_ptr<TA>(), detail::broadcast_strides(a, shape),
                b.data_ptr<TB>(), detail::broadcast_strides(b, shape), c.data_ptr<TC>(),
                detail::broadcast_strides(c, shape), f);
  return out;
}

/// `value` as a T. A scalar keeps the tensor's dtype (no type promotion), so for an integer
/// tensor a fractional scalar is refused rather than truncated.
template <typename T>
T scalar_as(const char* op, double value) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(value);
  } else {
    NABLA_CHECK(std::nearbyint(value) == value && std::abs(value) < 9.2e18, op, ": the scalar ", value,
                " cannot be used with a ", dtype_of<T>(), " tensor without changing its dtype; convert the tensor "
                "first, e.g. .to(nabla::float32)");
    return static_cast<T>(static_cast<int64_t>(value));
  }
}

}  // namespace nabla::elementwise
