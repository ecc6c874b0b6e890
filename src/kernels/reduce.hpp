// Reduction kernels: sums, extrema, variance and log-sum-exp over any set of dimensions of a
// strided tensor, plus softmax along one dimension. Plain loops over pointers, parallel over
// outputs (or over fixed pieces of one long sum), each output accumulated in a fixed order
// (float32 in double), so results never depend on the number of threads.
#pragma once

#include <nabla/shape.hpp>

#include <cstdint>
#include <vector>

namespace nabla::kernels {

/// How the elements of a strided input map onto the outputs of a reduction. Output element
/// j = o * inner + i (row-major over the kept dimensions) reduces the input elements at
///   outer_offsets[o] + i + run_offsets[t] + k * run_stride,  t < run_offsets.size(), k < run_length,
/// i.e. runs of equally spaced elements (the innermost reduced dimension) starting at a table
/// of offsets (the other reduced dimensions). r = t * run_length + k is the element's row-major
/// index over the reduced dimensions (what argmax returns).
/// `inner` > 1 when the last kept dimensions are contiguous in the input: those outputs are then
/// accumulated side by side (a vector add per reduced element), which is what makes summing a
/// (64, 256) matrix over dim 0 -- every bias gradient -- a stream through memory.
struct ReducePlan {
  int64_t outer = 1;
  int64_t inner = 1;
  std::vector<int64_t> outer_offsets;
  std::vector<int64_t> run_offsets{0};
  int64_t run_length = 1;
  int64_t run_stride = 0;

  int64_t outputs() const { return outer * inner; }
  int64_t reduced() const { return static_cast<int64_t>(run_offsets.size()) * run_length; }
};

/// Plans the reduction of a tensor with `shape` and `strides` (in elements) over the
/// dimensions d with reduce[d] true. With `any_order` (sums, variances: anything but arg-
/// reductions) the reduced dimensions are visited in memory order rather than row-major, so
/// reducing a transposed tensor still streams through memory; the order is still fixed.
ReducePlan plan_reduce(const Shape& shape, const Shape& strides, const std::vector<bool>& reduce,
                       bool any_order = false);

/// out[j] = sum of output j's elements; float32 accumulates in double, uint8 in int64.
/// Out is T, except int64 for uint8 input (as torch.sum).
template <typename T, typename Out>
void sum(const T* x, const ReducePlan& plan, Out* out);

/// out[j] = mean of output j's elements (NaN when there are none). Floating types only.
/// Both use the same order of additions whatever the thread count: long runs are cut into
/// pieces of a fixed size whose partial sums are added in order.
template <typename T>
void mean(const T* x, const ReducePlan& plan, T* out);

/// Largest (Max) or smallest element of each output and its index r (first one on ties; a NaN
/// wins and propagates, as in PyTorch). `values` or `indices` may be null. Needs reduced >= 1.
template <typename T, bool Max>
void arg_reduce(const T* x, const ReducePlan& plan, T* values, int64_t* indices);

/// out[j] = sum((x - mean)^2) / max(N - correction, 0) over output j's N elements (two passes).
template <typename T>
void var(const T* x, const ReducePlan& plan, int64_t correction, T* out);

/// out[j] = log(sum(exp(x))), shifted by the max (by 0 when the max is infinite, so rows of
/// -inf give -inf and a +inf gives +inf).
template <typename T>
void logsumexp(const T* x, const ReducePlan& plan, T* out);

/// Softmax (or log-softmax when `log`) of contiguous x viewed as (outer, n, inner) along the
/// middle dimension; y has the same layout.
template <typename T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log);

/// Gradient of softmax given its output y and the gradient g (same contiguous layout):
///   softmax:      gx = y * (g - sum(g * y))
///   log_softmax:  gx = g - exp(y) * sum(g)
template <typename T>
void softmax_backward(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner, bool log);

}  // namespace nabla::kernels
