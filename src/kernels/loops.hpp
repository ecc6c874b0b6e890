// The strided N-d loop under every elementwise kernel. Operands share one iteration shape
// (broadcast operands have stride 0); adjacent dimensions that are contiguous for every
// operand are merged, so contiguous tensors run as one flat loop the compiler vectorises.
#pragma once

#include <nabla/shape.hpp>

#include <array>
#include <cstdint>

namespace nabla::kernels {

/// Calls run(offsets, n, inner_strides) for each innermost run of `shape`: element k of the run
/// is at offsets[i] + k * inner_strides[i] in operand i (offsets and strides in elements).
template <size_t N, typename Run>
void for_each_run(const Shape& shape, const std::array<Shape, N>& strides, Run&& run) {
  // Drop size-1 dims and merge dims (d, d+1) whose strides chain for every operand.
  Shape sizes;
  std::array<Shape, N> st;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;
    if (shape[d] == 1) continue;
    bool merge = !sizes.empty();
    for (size_t i = 0; i < N && merge; ++i) merge = st[i].back() == strides[i][d] * shape[d];
    if (merge) {
      sizes.back() *= shape[d];
      for (size_t i = 0; i < N; ++i) st[i].back() = strides[i][d];
    } else {
      sizes.push_back(shape[d]);
      for (size_t i = 0; i < N; ++i) st[i].push_back(strides[i][d]);
    }
  }
  std::array<int64_t, N> offsets{};
  std::array<int64_t, N> inner{};
  if (sizes.empty()) {
    run(offsets, int64_t{1}, inner);
    return;
  }
  const size_t nd = sizes.size();
  for (size_t i = 0; i < N; ++i) inner[i] = st[i][nd - 1];
  const int64_t n = sizes[nd - 1];
  int64_t outer = 1;
  for (size_t d = 0; d + 1 < nd; ++d) outer *= sizes[d];
  Shape index(nd, 0);
  for (int64_t o = 0; o < outer; ++o) {
    run(offsets, n, inner);
    // Odometer increment over the outer dims.
    for (int64_t d = static_cast<int64_t>(nd) - 2; d >= 0; --d) {
      if (++index[d] < sizes[d]) {
        for (size_t i = 0; i < N; ++i) offsets[i] += st[i][d];
        break;
      }
      index[d] = 0;
      for (size_t i = 0; i < N; ++i) offsets[i] -= st[i][d] * (sizes[d] - 1);
    }
  }
}

/// out[k] = f(in[k]) over a shape; out and in given as base pointers plus strides.
template <typename TOut, typename TIn, typename F>
void map1(const Shape& shape, TOut* out, const Shape& out_strides, const TIn* in, const Shape& in_strides, F f) {
  for_each_run<2>(shape, {out_strides, in_strides}, [&](const std::array<int64_t, 2>& off, int64_t n, const std::array<int64_t, 2>& s) {
    TOut* o = out + off[0];
    const TIn* a = in + off[1];
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t k = 0; k < n; ++k) o[k] = f(a[k]);
    } else {
      for (int64_t k = 0; k < n; ++k) o[k * s[0]] = f(a[k * s[1]]);
    }
  });
}

/// out[k] = f(a[k], b[k]).
template <typename TOut, typename TA, typename TB, typename F>
void map2(const Shape& shape, TOut* out, const Shape& out_strides, const TA* a, const Shape& a_strides, const TB* b,
          const Shape& b_strides, F f) {
  for_each_run<3>(shape, {out_strides, a_strides, b_strides},
                  [&](const std::array<int64_t, 3>& off, int64_t n, const std::array<int64_t, 3>& s) {
                    TOut* o = out + off[0];
                    const TA* x = a + off[1];
                    const TB* y = b + off[2];
                    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                      for (int64_t k = 0; k < n; ++k) o[k] = f(x[k], y[k]);
                    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
                      const TB y0 = *y;
                      for (int64_t k = 0; k < n; ++k) o[k] = f(x[k], y0);
                    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {
                      const TA x0 = *x;
                      for (int64_t k = 0; k < n; ++k) o[k] = f(x0, y[k]);
                    } else {
                      for (int64_t k = 0; k < n; ++k) o[k * s[0]] = f(x[k * s[1]], y[k * s[2]]);
                    }
                  });
}

/// out[k] = f(a[k], b[k], c[k]).
template <typename TOut, typename TA, typename TB, typename TC, typename F>
void map3(const Shape& shape, TOut* out, const Shape& out_strides, const TA* a, const Shape& a_strides, const TB* b,
          const Shape& b_strides, const TC* c, const Shape& c_strides, F f) {
  for_each_run<4>(shape, {out_strides, a_strides, b_strides, c_strides},
                  [&](const std::array<int64_t, 4>& off, int64_t n, const std::array<int64_t, 4>& s) {
                    TOut* o = out + off[0];
                    const TA* x = a + off[1];
                    const TB* y = b + off[2];
                    const TC* z = c + off[3];
                    for (int64_t k = 0; k < n; ++k) o[k * s[0]] = f(x[k * s[1]], y[k * s[2]], z[k * s[3]]);
                  });
}

}  // namespace nabla::kernels
