// Helpers for the optimisers' fused elementwise updates (internal to src/optim). Each update
// is one pass over contiguous buffers (parameter, gradient, state) that reads and writes only
// element i at step i, so splitting it over threads cannot change the result.
#pragma once

#include <nabla/tensor.hpp>

#include "kernels/dispatch.hpp"
#include "kernels/parallel.hpp"

#include <cmath>
#include <utility>

namespace nabla::optim::detail {

/// Elements per chunk when an update is split over threads (below it, one thread does all).
inline constexpr int64_t kUpdateGrain = 1 << 15;

/// Calls body(begin, end) over chunks covering [0, n) on nabla's threads.
template <typename F>
void for_each_chunk(int64_t n, F&& body) {
  kernels::parallel_for(0, n, kUpdateGrain, std::forward<F>(body));
}

/// Typed pointer to an optional state tensor's data (nullptr when it is undefined).
template <typename T>
T* data_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

/// The counter in a 0-d float64 state tensor ("step").
inline double& counter(const Tensor& t) { return *t.data_ptr<double>(); }

/// A 0-d float64 counter starting at `value`.
inline Tensor make_counter(double value) { return scalar_tensor(value, DType::Float64); }

/// torch.maximum for one element: NaN when either is NaN.
template <typename T>
T maximum(T a, T b) {
  return (std::isnan(a) || a > b) ? a : b;
}

}  // namespace nabla::optim::detail
