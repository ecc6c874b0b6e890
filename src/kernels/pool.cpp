// Pooling kernels: one window walker per kind of window (max, average, adaptive), shared by
// forward and backward so both visit exactly the same input positions. See pool.hpp.
#include "kernels/pool.hpp"

#include "kernels/parallel.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace nabla::kernels {
namespace {

// Input positions [lo, hi) of one window along one dim, stepping by `step`; `padded` is an
// average-pool window's size before clipping to the input (its count_include_pad divisor).
struct Span {
  int64_t lo = 0, hi = 0, step = 1, padded = 0;
};

int64_t size(const Span& span) { return std::max<int64_t>(span.hi - span.lo, 0); }

// PyTorch's max-pool window: [o * stride - pad, ... + (k - 1) * dilation + 1) clipped to the
// input at the end, and advanced by whole dilation steps past the padding at the start.
Span max_window(const PoolShape& s, int dim, int64_t o) {
  int64_t lo = o * s.stride[dim] - s.padding[dim];
  const int64_t hi = std::min(lo + (s.kernel[dim] - 1) * s.dilation[dim] + 1, s.input[dim]);
  while (lo < 0) lo += s.dilation[dim];
  return {lo, hi, s.dilation[dim], 0};
}

// PyTorch's average-pool window: [o * stride - pad, min(that + k, in + pad)) is its padded
// extent; clipped to the input it gives the positions summed.
Span avg_window(const PoolShape& s, int dim, int64_t o) {
  const int64_t lo = o * s.stride[dim] - s.padding[dim];
  const int64_t hi = std::min(lo + s.kernel[dim], s.input[dim] + s.padding[dim]);
  return {std::max<int64_t>(lo, 0), std::min(hi, s.input[dim]), 1, hi - lo};
}

// Adaptive window: [floor(o * in / out), ceil((o + 1) * in / out)).
Span adaptive_window(const PoolShape& s, int dim, int64_t o) {
  const int64_t in = s.input[dim], out = s.output[dim];
  return {o * in / out, ((o + 1) * in + out - 1) / out, 1, 0};
}

// The windows of every output position along each dim, computed once per call.
using Windows = std::array<std::vector<Span>, 3>;

Windows windows(const PoolShape& s, Span (*window)(const PoolShape&, int, int64_t)) {
  Windows w;
  for (int dim = 0; dim < 3; ++dim)
    for (int64_t o = 0; o < s.output[dim]; ++o) w[dim].push_back(window(s, dim, o));
  return w;
}

// Calls f(plane, flat output index within the plane, window spans (d, h, w)) for every output
// element of planes [first, last), in memory order.
template <typename F>
void for_each_window(const PoolShape& s, const Windows& w, int64_t first, int64_t last, F&& f) {
  for (int64_t p = first; p < last; ++p) {
    int64_t o = 0;
    for (int64_t od = 0; od < s.output[0]; ++od)
      for (int64_t oh = 0; oh < s.output[1]; ++oh)
        for (int64_t ow = 0; ow < s.output[2]; ++ow, ++o) f(p, o, w[0][od], w[1][oh], w[2][ow]);
  }
}

// Calls f(flat input index) for every position of a window, in (d, h, w) order.
template <typename F>
void for_each_position(const PoolShape& s, const Span& d, const Span& h, const Span& w, F&& f) {
  for (int64_t id = d.lo; id < d.hi; id += d.step)
    for (int64_t ih = h.lo; ih < h.hi; ih += h.step) {
      const int64_t row = (id * s.input[1] + ih) * s.input[2];
      for (int64_t iw = w.lo; iw < w.hi; iw += w.step) f(row + iw);
    }
}

// The largest value of a window and its flat index: the first maximum wins a tie, a NaN wins
// over everything; -inf and the window's first position when it holds only -inf (PyTorch's rule).
template <typename T>
void window_max(const T* plane, int64_t height, int64_t width, const Span& d, const Span& h, const Span& w, T& value,
                int64_t& index) {
  int64_t best = (d.lo * height + h.lo) * width + w.lo;
  T best_value = -std::numeric_limits<T>::infinity();
  for (int64_t id = d.lo; id < d.hi; id += d.step)
    for (int64_t ih = h.lo; ih < h.hi; ih += h.step) {
      const int64_t row = (id * height + ih) * width;
      for (int64_t iw = w.lo; iw < w.hi; iw += w.step) {
        // A mask and a select, so that GCC emits no branch (on random data a branch here
        // mispredicts about once per window: 3x slower for LeNet's 2x2 pooling). GCC 12 keeps
        // the value select branch-free only in this operand order.
        const T v = plane[row + iw];
        const int64_t take = -static_cast<int64_t>((v > best_value) | std::isnan(v));
        best = ((row + iw) & take) | (best & ~take);
        best_value = std::isnan(v) || v > best_value ? v : best_value;
      }
    }
  value = best_value;
  index = best;
}

// Plane ranges of roughly 16K units of work each (one plane at least).
template <typename F>
void over_planes(const PoolShape& s, int64_t work_per_plane, F&& f) {
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(work_per_plane, 1));
  parallel_for(0, s.planes, grain, std::forward<F>(f));
}

// The divisor of one average-pool window; 0 when it holds no input position.
int64_t avg_divisor(const AvgPoolDivisor& divisor, const Span& d, const Span& h, const Span& w) {
  const int64_t inside = size(d) * size(h) * size(w);
  if (inside == 0) return 0;
  if (divisor.divisor_override > 0) return divisor.divisor_override;
  return divisor.count_include_pad ? d.padded * h.padded * w.padded : inside;
}

}  // namespace

// True for 1-D and 2-D max pooling whose windows all lie inside the input (no padding, no
// dilation, no window clipped by ceil_mode): LeNet's and VGG's pooling.
bool plain_2d_windows(const PoolShape& s) {
  if (s.input[0] != 1 || s.kernel[0] != 1) return false;
  for (int dim = 1; dim < 3; ++dim)
    if (s.padding[dim] != 0 || s.dilation[dim] != 1 ||
        (s.output[dim] - 1) * s.stride[dim] + s.kernel[dim] > s.input[dim])
      return false;
  return true;
}

// The same windows, taps and tie rule as window_max for windows inside the input: each output
// kept in registers while its taps are compared (plain pointer steps, no window spans). KH and
// KW are the kernel size when known at compile time (2 x 2, LeNet's and VGG's, unrolls fully),
// or 0 to read it from the shape.
template <int64_t KH, int64_t KW, typename T>
void max_pool_2d_rows(const PoolShape& s, const T* plane, T* __restrict y, int64_t* __restrict indices) {
  const int64_t width = s.input[2], out_h = s.output[1], out_w = s.output[2];
  const int64_t sh = s.stride[1], sw = s.stride[2];
  const int64_t kh_size = KH != 0 ? KH : s.kernel[1], kw_size = KW != 0 ? KW : s.kernel[2];
  for (int64_t oh = 0; oh < out_h; ++oh)
    for (int64_t ow = 0; ow < out_w; ++ow) {
      const int64_t first = oh * sh * width + ow * sw;
      T best = plane[first];
      int64_t at = first;
      for (int64_t kh = 0; kh < kh_size; ++kh)
        for (int64_t kw = 0; kw < kw_size; ++kw) {
          const int64_t i = first + kh * width + kw;
          const T v = plane[i];
          const bool take = v > best || v != v;
          best = take ? v : best;
          at = take ? i : at;
        }
      *y++ = best;
      *indices++ = at;
    }
}

template <typename T>
void max_pool_forward(const PoolShape& s, const T* x, T* y, int64_t* indices) {
  if (!plain_2d_windows(s)) return max_pool_forward_reference(s, x, y, indices);
  const int64_t in = s.input_volume(), out = s.output_volume();
  const bool two_by_two = s.kernel[1] == 2 && s.kernel[2] == 2;
  over_planes(s, out * s.kernel[1] * s.kernel[2], [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      if (two_by_two) {
        max_pool_2d_rows<2, 2>(s, x + p * in, y + p * out, indices + p * out);
      } else {
        max_pool_2d_rows<0, 0>(s, x + p * in, y + p * out, indices + p * out);
      }
    }
  });
}

template <typename T>
void max_pool_forward_reference(const PoolShape& s, const T* x, T* y, int64_t* indices) {
  const int64_t in = s.input_volume(), out = s.output_volume();
  const Windows win = windows(s, max_window);
  over_planes(s, out * s.kernel[0] * s.kernel[1] * s.kernel[2], [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      const T* plane = x + p * in;
      T* y_plane = y + p * out;
      int64_t* i_plane = indices + p * out;
      for (const Span& d : win[0])
        for (const Span& h : win[1])
          for (const Span& w : win[2]) window_max(plane, s.input[1], s.input[2], d, h, w, *y_plane++, *i_plane++);
    }
  });
}

template <typename T>
void max_pool_backward(const PoolShape& s, const T* gy, const int64_t* indices, T* gx) {
  const int64_t in = s.input_volume(), out = s.output_volume();
  over_planes(s, in + out, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; ++p) {
      T* plane = gx + p * in;
      std::fill_n(plane, in, T(0));
      for (int64_t o = 0; o < out; ++o) plane[indices[p * out + o]] += gy[p * out + o];
    }
  });
}

template <typename T>
void avg_pool_forward(const PoolShape& s, AvgPoolDivisor divisor, const T* x, T* y) {
  const int64_t in = s.input_volume(), out = s.output_volume();
  const Windows win = windows(s, avg_window);
  over_planes(s, out * s.kernel[0] * s.kernel[1] * s.kernel[2], [&](int64_t first, int64_t last) {
    for_each_window(s, win, first, last, [&](int64_t p, int64_t o, const Span& d, const Span& h, const Span& w) {
      const int64_t count = avg_divisor(divisor, d, h, w);
      T sum = 0;
      if (count > 0) for_each_position(s, d, h, w, [&](int64_t i) { sum += x[p * in + i]; });
      y[p * out + o] = count > 0 ? sum / static_cast<T>(count) : T(0);
    });
  });
}

template <typename T>
void avg_pool_backward(const PoolShape& s, AvgPoolDivisor divisor, const T* gy, T* gx) {
  const int64_t in = s.input_volume(), out = s.output_volume();
  const Windows win = windows(s, avg_window);
  over_planes(s, out * s.kernel[0] * s.kernel[1] * s.kernel[2], [&](int64_t first, int64_t last) {
    std::fill_n(gx + first * in, (last - first) * in, T(0));
    for_each_window(s, win, first, last, [&](int64_t p, int64_t o, const Span& d, const Span& h, const Span& w) {
      const int64_t count = avg_divisor(divisor, d, h, w);
      if (count == 0) return;
      const T share = gy[p * out + o] / static_cast<T>(count);
      for_each_position(s, d, h, w, [&](int64_t i) { gx[p * in + i] += share; });
    });
  });
}

template <typename T>
void adaptive_avg_pool_forward(const PoolShape& s, const T* x, T* y) {
  const int64_t in = s.input_volume(), out = s.output_volume();
  const Windows win = windows(s, adaptive_window);
  over_planes(s, in + out, [&](int64_t first, int64_t last) {
    for_each_window(s, win, first, last, [&](int64_t p, int64_t o, const Span& d, const Span& h, const Span& w) {
      T sum = 0;
      for_each_position(s, d, h, w, [&](int64_t i) { sum += x[p * in + i]; });
      y[p * out + o] = sum / static_cast<T>(size(d) * size(h) * size(w));
    });
  });
}

template <typename T>
void adaptive_avg_pool_backward(const PoolShape& s, const T* gy, T* gx) {
  const int64_t in = s.input_volume(), out = s.output_volume();
  const Windows win = windows(s, adaptive_window);
  over_planes(s, in + out, [&](int64_t first, int64_t last) {
    std::fill_n(gx + first * in, (last - first) * in, T(0));
    for_each_window(s, win, first, last, [&](int64_t p, int64_t o, const Span& d, const Span& h, const Span& w) {
      const T share = gy[p * out + o] / static_cast<T>(size(d) * size(h) * size(w));
      for_each_position(s, d, h, w, [&](int64_t i) { gx[p * in + i] += share; });
    });
  });
}

#define NABLA_POOL_INSTANTIATE(T)                                                                      \
  template void max_pool_forward<T>(const PoolShape&, const T*, T*, int64_t*);                       \
  template void max_pool_forward_reference<T>(const PoolShape&, const T*, T*, int64_t*);             \
  template void max_pool_backward<T>(const PoolShape&, const T*, const int64_t*, T*);                \
  template void avg_pool_forward<T>(const PoolShape&, AvgPoolDivisor, const T*, T*);                 \
  template void avg_pool_backward<T>(const PoolShape&, AvgPoolDivisor, const T*, T*);                \
  template void adaptive_avg_pool_forward<T>(const PoolShape&, const T*, T*);                        \
  template void adaptive_avg_pool_backward<T>(const PoolShape&, const T*, T*);

NABLA_POOL_INSTANTIATE(float)
NABLA_POOL_INSTANTIATE(double)
#undef NABLA_POOL_INSTANTIATE

}  // namespace nabla::kernels
