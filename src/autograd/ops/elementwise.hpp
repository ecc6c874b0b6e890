// Private helpers shared by the elementwise op files (binary, unary, comparisons, in-place):
// broadcasting with the op's name in errors, fresh outputs filled by one strided kernel, and
// scalars converted to a tensor's element type without silently truncating them.
#pragma once

#include "kernels/dispatch.hpp"
#include "kernels/loops.hpp"
#include "kernels/parallel.hpp"
#include "tensor/internal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

namespace nabla::elementwise {

/// Elements per parallel task: below about this many, waking threads costs more than it saves.
inline constexpr int64_t kGrain = 32768;

/// Runs body(block_shape, first_row) over blocks of rows of dimension 0 that together cover
/// `shape`, in parallel when it is large. Blocks write disjoint outputs, so results do not
/// depend on the thread count.
template <typename Body>
void for_row_blocks(const Shape& shape, Body&& body) {
  const int64_t numel = shape_numel(shape);
  if (shape.empty() || shape[0] < 2 || numel < 2 * kGrain) {
    body(shape, int64_t{0});
    return;
  }
  const int64_t row = numel / shape[0];
  kernels::parallel_for(0, shape[0], std::max<int64_t>(1, kGrain / row), [&](int64_t lo, int64_t hi) {
    Shape block = shape;
    block[0] = hi - lo;
    body(block, lo);
  });
}

/// Element offset of row `row` of dimension 0 for an operand with these strides.
inline int64_t row_offset(const Shape& strides, int64_t row) { return row == 0 ? 0 : row * strides[0]; }

/// NumPy broadcast of two shapes; the error names `op` and both shapes.
Shape broadcast_shape(const char* op, const Shape& a, const Shape& b);

/// Checks a binary op's operands (defined, same dtype) and returns their broadcast shape.
Shape binary_shape(const char* op, const Tensor& a, const Tensor& b);

/// A new contiguous (shape) tensor with out[i] = f(a[i]), `a` broadcast to shape.
template <typename TOut, typename TA, typename F>
Tensor map_new(const Shape& shape, const Tensor& a, F f) {
  Tensor out = empty(shape, dtype_of<TOut>());
  TOut* o = out.data_ptr<TOut>();
  const TA* pa = a.data_ptr<TA>();
  const Shape& so = out.strides();
  const Shape sa = detail::broadcast_strides(a, shape);
  for_row_blocks(shape, [&](const Shape& block, int64_t r) {
    kernels::map1(block, o + row_offset(so, r), so, pa + row_offset(sa, r), sa, f);
  });
  return out;
}

/// out[i] = f(a[i], b[i]) over `shape`, both operands broadcast to it.
template <typename TOut, typename TA, typename TB, typename F>
Tensor map_new(const Shape& shape, const Tensor& a, const Tensor& b, F f) {
  Tensor out = empty(shape, dtype_of<TOut>());
  TOut* o = out.data_ptr<TOut>();
  const TA* pa = a.data_ptr<TA>();
  const TB* pb = b.data_ptr<TB>();
  const Shape& so = out.strides();
  const Shape sa = detail::broadcast_strides(a, shape);
  const Shape sb = detail::broadcast_strides(b, shape);
  for_row_blocks(shape, [&](const Shape& block, int64_t r) {
    kernels::map2(block, o + row_offset(so, r), so, pa + row_offset(sa, r), sa, pb + row_offset(sb, r), sb, f);
  });
  return out;
}

/// out[i] = f(a[i], b[i], c[i]) over `shape`.
template <typename TOut, typename TA, typename TB, typename TC, typename F>
Tensor map_new(const Shape& shape, const Tensor& a, const Tensor& b, const Tensor& c, F f) {
  Tensor out = empty(shape, dtype_of<TOut>());
  TOut* o = out.data_ptr<TOut>();
  const TA* pa = a.data_ptr<TA>();
  const TB* pb = b.data_ptr<TB>();
  const TC* pc = c.data_ptr<TC>();
  const Shape& so = out.strides();
  const Shape sa = detail::broadcast_strides(a, shape);
  const Shape sb = detail::broadcast_strides(b, shape);
  const Shape sc = detail::broadcast_strides(c, shape);
  for_row_blocks(shape, [&](const Shape& block, int64_t r) {
    kernels::map3(block, o + row_offset(so, r), so, pa + row_offset(sa, r), sa, pb + row_offset(sb, r), sb,
                  pc + row_offset(sc, r), sc, f);
  });
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

/// clamp's bounds as T; an absent bound is the type's extreme, which clamps nothing.
template <typename T>
std::pair<T, T> clamp_bounds(const char* op, std::optional<double> min, std::optional<double> max) {
  using limits = std::numeric_limits<T>;
  const T lo = min ? scalar_as<T>(op, *min) : (limits::has_infinity ? -limits::infinity() : limits::lowest());
  const T hi = max ? scalar_as<T>(op, *max) : (limits::has_infinity ? limits::infinity() : limits::max());
  return {lo, hi};
}

}  // namespace nabla::elementwise
