// Private helpers shared by the loss files: reductions, operand checks, the (N, C, d1, ...) layout
// of class-index losses with validation of every target, and a 4-operand broadcast map.
#pragma once

#include <nabla/nn/loss.hpp>

#include "kernels/loops.hpp"
#include "tensor/internal.hpp"

#include <optional>

namespace nabla::nn::loss_detail {

using functional::Reduction;

/// Throws unless `reduction` is one `op` accepts (BatchMean is kl_div's alone).
void check_reduction(const char* op, Reduction reduction);
/// Mean, sum, or the per-element losses unchanged (BatchMean is handled by kl_div itself).
Tensor reduce(const Tensor& loss, Reduction reduction);

/// Throws unless `t` (the argument called `what`) is a defined floating-point tensor.
void check_floating(const char* op, const char* what, const Tensor& t);
/// Throws naming both shapes unless a and b have the same shape.
void check_same_shape(const char* op, const char* a_name, const Tensor& a, const char* b_name, const Tensor& b);
/// Throws unless an optional per-element weight (called `what`) has input's dtype and broadcasts to
/// input's shape.
void check_broadcast_weight(const char* op, const char* what, const Tensor& weight, const Tensor& input);

/// The multi-index of flat element `flat` of `shape` (row-major), for error messages.
Shape unravel(int64_t flat, const Shape& shape);

/// Input of a class-index loss read as contiguous (outer, classes, inner): (N, C, d1, ...) gives
/// outer N and inner d1 * ...; an unbatched (C) input gives outer = inner = 1. Targets are one
/// per (outer, inner) position, in target_shape.
struct ClassLayout {
  int64_t outer = 1;
  int64_t classes = 0;
  int64_t inner = 1;
  Shape target_shape;

  int64_t rows() const { return outer * inner; }
};

/// Checks input (floating, (N, C, d1, ...) or (C)) and an int64 target of shape (N, d1, ...) or ()
/// and returns their layout; errors name both shapes.
ClassLayout class_layout(const char* op, const Tensor& input, const Tensor& target);
/// Throws naming the value and its position unless every target lies in [0, classes) or equals
/// ignore_index; run before any kernel indexes with the targets.
void check_class_targets(const char* op, const Tensor& target, int64_t classes, std::optional<int64_t> ignore_index);
/// Throws unless weight is undefined or a 1-D tensor of `classes` elements with input's dtype.
void check_class_weight(const char* op, const Tensor& weight, int64_t classes, const Tensor& input);

/// A new contiguous tensor of `shape` with out[k] = f(a[k], b[k], c[k], d[k]); every operand is
/// broadcast to shape (a 0-d tensor stands for a constant).
template <typename T, typename F>
Tensor map4(const Shape& shape, const Tensor& a, const Tensor& b, const Tensor& c, const Tensor& d, F f) {
  Tensor out = empty(shape, dtype_of<T>());
  T* o = out.data_ptr<T>();
  const T* pa = a.data_ptr<T>();
  const T* pb = b.data_ptr<T>();
  const T* pc = c.data_ptr<T>();
  const T* pd = d.data_ptr<T>();
  kernels::for_each_run<5>(
      shape,
      {out.strides(), detail::broadcast_strides(a, shape), detail::broadcast_strides(b, shape),
       detail::broadcast_strides(c, shape), detail::broadcast_strides(d, shape)},
      [&](const std::array<int64_t, 5>& off, int64_t n, const std::array<int64_t, 5>& s) {
        for (int64_t k = 0; k < n; ++k)
          o[off[0] + k * s[0]] = f(pa[off[1] + k * s[1]], pb[off[2] + k * s[2]], pc[off[3] + k * s[3]],
                                   pd[off[4] + k * s[4]]);
      });
  return out;
}

}  // namespace nabla::nn::loss_detail
