// Reduction and softmax kernels (see reduce.hpp). Work is split across threads by output (or,
// for one long sum, by fixed-size pieces whose partial sums are combined in order), so every
// output is accumulated in the same order whatever the thread count: results are reproducible.
#include "kernels/reduce.hpp"

#include "kernels/parallel.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>

namespace nabla::kernels {
namespace {

// Outputs accumulated side by side in the `inner` path (stack buffers of this many elements).
constexpr int64_t kBlock = 256;
// Elements per partial sum when one output's runs are long. Fixed, never derived from the
// thread count, so the order of additions is too.
constexpr int64_t kPiece = int64_t{1} << 14;
// About how many elements one parallel task should read.
constexpr int64_t kGrain = int64_t{1} << 15;

int64_t grain_for(int64_t work_per_unit) { return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, work_per_unit)); }

// float32 accumulates in double; other types in themselves (int64 for uint8).
template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

// exp for float without a libm call, so the loops calling it vectorise: Cephes' expf polynomial
// after reducing x = n ln2 + r, |r| <= ln2/2. Within 2 ulp of std::exp for x <= 88 (softmax and
// logsumexp only pass x <= 0); +inf above 88, 0 below -87.3 (std::exp gives subnormals); NaN stays.
inline float exp_float(float x) {
  // Bounds first: std::max(bound, NaN) is the bound, so NaN never reaches the int conversion below
  // (which would be undefined); the last line puts the NaN back.
  const float c = std::min(88.0f, std::max(-87.3365f, x));
  // Round c * log2(e) to the nearest integer by the 1.5 * 2^23 trick (no libm call).
  const float n = (c * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (c - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  float out = y * scale;
  out = x > 88.0f ? std::numeric_limits<float>::infinity() : out;
  out = x < -87.3365f ? 0.0f : out;
  return x != x ? x : out;
}

template <typename T>
T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>) {
    return exp_float(x);
  } else {
    return std::exp(x);
  }
}

// Appends one dimension, merging it into the previous one when their strides chain.
void push_dim(Shape& sizes, Shape& strides, int64_t size, int64_t stride) {
  if (size == 1) return;
  if (!sizes.empty() && strides.back() == stride * size) {
    sizes.back() *= size;
    strides.back() = stride;
  } else {
    sizes.push_back(size);
    strides.push_back(stride);
  }
}

// Offsets of every element of (sizes, strides) in row-major order.
std::vector<int64_t> offsets_of(const Shape& sizes, const Shape& strides) {
  const int64_t count = shape_numel(sizes);
  std::vector<int64_t> out(static_cast<size_t>(count));
  if (count == 0) return out;
  Shape index(sizes.size(), 0);
  int64_t offset = 0;
  for (int64_t k = 0; k < count; ++k) {
    out[static_cast<size_t>(k)] = offset;
    for (size_t d = sizes.size(); d-- > 0;) {
      if (++index[d] < sizes[d]) {
        offset += strides[d];
        break;
      }
      index[d] = 0;
      offset -= strides[d] * (sizes[d] - 1);
    }
  }
  return out;
}

// Calls f(value) for each element reduced into the output whose first element is `base`, in
// the order of r.
template <typename T, typename F>
void visit(const T* base, const ReducePlan& p, F&& f) {
  const int64_t s = p.run_stride;
  for (int64_t off : p.run_offsets) {
    const T* q = base + off;
    for (int64_t k = 0; k < p.run_length; ++k) f(q[k * s]);
  }
}

// Calls f(row) with row = the r-th reduced element of `base`, for the `inner` path, where row[i]
// is the same element of output i.
template <typename T, typename F>
void visit_rows(const T* base, const ReducePlan& p, F&& f) {
  for (int64_t off : p.run_offsets)
    for (int64_t k = 0; k < p.run_length; ++k) f(base + off + k * p.run_stride);
}

// Runs f(o, base) for every output of the I == 1 path, in parallel.
template <typename T, typename F>
void for_each_output(const T* x, const ReducePlan& p, F&& f) {
  parallel_for(0, p.outer, grain_for(p.reduced()), [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o) f(o, x + p.outer_offsets[static_cast<size_t>(o)]);
  });
}

// Runs f(j, base, n) for every block of n <= kBlock outputs j.. of the inner path, in parallel.
template <typename T, typename F>
void for_each_block(const T* x, const ReducePlan& p, F&& f) {
  const int64_t blocks = (p.inner + kBlock - 1) / kBlock;
  parallel_for(0, p.outer * blocks, grain_for(p.reduced() * kBlock), [&](int64_t lo, int64_t hi) {
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t o = u / blocks, i0 = (u % blocks) * kBlock;
      f(o * p.inner + i0, x + p.outer_offsets[static_cast<size_t>(o)] + i0, std::min(kBlock, p.inner - i0));
    }
  });
}

// Sum of f(x[k * s]) over n elements. Contiguous runs use 8 independent partial sums (combined
// in a fixed order) so the loop vectorises and is not bound by the latency of one add chain.
template <typename A, typename T, typename F>
A accumulate_run(const T* x, int64_t n, int64_t s, F&& f) {
  if (s != 1) {
    A acc = 0;
    for (int64_t k = 0; k < n; ++k) acc += static_cast<A>(f(x[k * s]));
    return acc;
  }
  A lane[8] = {};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) lane[l] += static_cast<A>(f(x[k + l]));
  A tail = 0;
  for (; k < n; ++k) tail += static_cast<A>(f(x[k]));
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])) + tail;
}

template <typename A, typename T>
A sum_run(const T* x, int64_t n, int64_t s) {
  return accumulate_run<A>(x, n, s, [](T v) { return v; });
}

// Sum of f over the elements of the output starting at `base`, run by run.
template <typename A, typename T, typename F>
A accumulate_output(const T* base, const ReducePlan& p, F&& f) {
  A acc = 0;
  for (int64_t off : p.run_offsets) acc += accumulate_run<A>(base + off, p.run_length, p.run_stride, f);
  return acc;
}

// Sum of piece `piece` of an output: run piece / chunks, elements [c * kPiece, ...) of it.
template <typename A, typename T>
A sum_piece(const T* base, const ReducePlan& p, int64_t chunks, int64_t piece) {
  const int64_t t = piece / chunks, k0 = (piece % chunks) * kPiece;
  return sum_run<A>(base + p.run_offsets[static_cast<size_t>(t)] + k0 * p.run_stride,
                    std::min(kPiece, p.run_length - k0), p.run_stride);
}

// Calls finish(j, total) with the sum of every output j. Each output is the in-order sum of its
// pieces; a single output's pieces are computed in parallel, then added in the same order.
template <typename T, typename Finish>
void sum_impl(const T* x, const ReducePlan& p, Finish&& finish) {
  using A = Acc<T>;
  const int64_t chunks = (p.run_length + kPiece - 1) / kPiece;
  const int64_t pieces = static_cast<int64_t>(p.run_offsets.size()) * chunks;
  if (p.inner == 1 && p.outer == 1) {
    const T* base = x + p.outer_offsets[0];
    std::vector<A> partial(static_cast<size_t>(pieces));
    parallel_for(0, pieces, grain_for(std::min(kPiece, p.run_length)), [&](int64_t lo, int64_t hi) {
      for (int64_t q = lo; q < hi; ++q) partial[static_cast<size_t>(q)] = sum_piece<A>(base, p, chunks, q);
    });
    A total = 0;
    for (A v : partial) total += v;
    finish(0, total);
  } else if (p.inner == 1) {
    for_each_output(x, p, [&](int64_t o, const T* base) {
      A total = 0;
      for (int64_t q = 0; q < pieces; ++q) total += sum_piece<A>(base, p, chunks, q);
      finish(o, total);
    });
  } else {
    for_each_block(x, p, [&](int64_t j, const T* base, int64_t n) {
      A buf[kBlock] = {};
      visit_rows(base, p, [&](const T* row) {
        for (int64_t i = 0; i < n; ++i) buf[i] += static_cast<A>(row[i]);
      });
      for (int64_t i = 0; i < n; ++i) finish(j + i, buf[i]);
    });
  }
}

template <typename T, bool Max>
bool better(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(v)) return !std::isnan(best);
  }
  return Max ? v > best : v < best;
}

// Largest element of n contiguous ones with 8 independent lanes (vectorises). NaNs are
// skipped: callers let them propagate through exp.
template <typename T>
T max_run(const T* x, int64_t n) {
  T lane[8];
  std::fill(lane, lane + 8, -std::numeric_limits<T>::infinity());
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int l = 0; l < 8; ++l) lane[l] = lane[l] < x[k + l] ? x[k + l] : lane[l];
  for (; k < n; ++k) lane[0] = lane[0] < x[k] ? x[k] : lane[0];
  return *std::max_element(lane, lane + 8);
}

// Softmax of one contiguous row of n elements (the common case: softmax over the last dim).
template <typename T>
void softmax_row(const T* x, T* y, int64_t n, bool log) {
  const T mx = max_run(x, n);
  for (int64_t k = 0; k < n; ++k) y[k] = exp_of<T>(x[k] - mx);
  const double total = sum_run<double>(y, n, 1);
  if (log) {
    // (x - max) - log(sum), not x - (max + log(sum)): the latter rounds small log-sums away.
    const T log_total = static_cast<T>(std::log(total));
    for (int64_t k = 0; k < n; ++k) y[k] = (x[k] - mx) - log_total;
  } else {
    const T scale = static_cast<T>(1.0 / total);
    for (int64_t k = 0; k < n; ++k) y[k] *= scale;
  }
}

}  // namespace

ReducePlan plan_reduce(const Shape& shape, const Shape& strides, const std::vector<bool>& reduce, bool any_order) {
  Shape kept, kept_strides, red, red_strides;
  std::vector<size_t> red_dims;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduce[d]) {
      red_dims.push_back(d);
    } else {
      push_dim(kept, kept_strides, shape[d], strides[d]);
    }
  }
  if (any_order) {
    std::stable_sort(red_dims.begin(), red_dims.end(),
                     [&](size_t a, size_t b) { return std::abs(strides[a]) > std::abs(strides[b]); });
  }
  for (size_t d : red_dims) push_dim(red, red_strides, shape[d], strides[d]);
  ReducePlan p;
  if (!kept.empty() && kept_strides.back() == 1) {
    p.inner = kept.back();
    kept.pop_back();
    kept_strides.pop_back();
  }
  p.outer_offsets = offsets_of(kept, kept_strides);
  p.outer = static_cast<int64_t>(p.outer_offsets.size());
  if (std::find(red.begin(), red.end(), 0) != red.end()) {
    // Nothing to reduce: no runs at all, rather than listing the (possibly astronomical) offsets
    // of the other reduced dimensions, e.g. of a (2^62, 0) tensor.
    p.run_offsets.clear();
    return p;
  }
  if (!red.empty()) {
    p.run_length = red.back();
    p.run_stride = red_strides.back();
    red.pop_back();
    red_strides.pop_back();
  }
  p.run_offsets = offsets_of(red, red_strides);
  return p;
}

template <typename T, typename Out>
void sum(const T* x, const ReducePlan& plan, Out* out) {
  sum_impl(x, plan, [out](int64_t j, Acc<T> total) { out[j] = static_cast<Out>(total); });
}

template <typename T>
void mean(const T* x, const ReducePlan& plan, T* out) {
  const double n = static_cast<double>(plan.reduced());
  sum_impl(x, plan, [out, n](int64_t j, double total) { out[j] = static_cast<T>(total / n); });
}

template <typename T, bool Max>
void arg_reduce(const T* x, const ReducePlan& p, T* values, int64_t* indices) {
  if (p.inner == 1) {
    for_each_output(x, p, [&](int64_t o, const T* base) {
      T best = base[0];
      int64_t at = 0, r = 0;
      visit(base, p, [&](T v) {
        if (better<T, Max>(v, best)) {
          best = v;
          at = r;
        }
        ++r;
      });
      if (values) values[o] = best;
      if (indices) indices[o] = at;
    });
    return;
  }
  for_each_block(x, p, [&](int64_t j, const T* base, int64_t n) {
    T best[kBlock];
    int64_t at[kBlock] = {};
    std::copy(base, base + n, best);
    int64_t r = 0;
    visit_rows(base, p, [&](const T* row) {
      for (int64_t i = 0; i < n; ++i) {
        if (better<T, Max>(row[i], best[i])) {
          best[i] = row[i];
          at[i] = r;
        }
      }
      ++r;
    });
    if (values) std::copy(best, best + n, values + j);
    if (indices) std::copy(at, at + n, indices + j);
  });
}

template <typename T>
void var(const T* x, const ReducePlan& p, int64_t correction, T* out) {
  const double n = static_cast<double>(p.reduced());
  const double divisor = std::max(n - static_cast<double>(correction), 0.0);
  if (p.inner == 1) {
    for_each_output(x, p, [&](int64_t o, const T* base) {
      const double m = accumulate_output<double>(base, p, [](T v) { return v; }) / n;
      const double m2 = accumulate_output<double>(base, p, [m](T v) { return (v - m) * (v - m); });
      out[o] = static_cast<T>(m2 / divisor);
    });
    return;
  }
  for_each_block(x, p, [&](int64_t j, const T* base, int64_t k) {
    double mu[kBlock] = {}, m2[kBlock] = {};
    visit_rows(base, p, [&](const T* row) {
      for (int64_t i = 0; i < k; ++i) mu[i] += row[i];
    });
    for (int64_t i = 0; i < k; ++i) mu[i] /= n;
    visit_rows(base, p, [&](const T* row) {
      for (int64_t i = 0; i < k; ++i) m2[i] += (row[i] - mu[i]) * (row[i] - mu[i]);
    });
    for (int64_t i = 0; i < k; ++i) out[j + i] = static_cast<T>(m2[i] / divisor);
  });
}

template <typename T>
void logsumexp(const T* x, const ReducePlan& p, T* out) {
  // The shift is the max unless that is infinite (then 0), as torch.logsumexp.
  auto shift_of = [](T m) { return std::isinf(m) ? T(0) : m; };
  const T lowest = -std::numeric_limits<T>::infinity();
  if (p.inner == 1) {
    for_each_output(x, p, [&](int64_t o, const T* base) {
      T m = lowest;
      visit(base, p, [&](T v) { m = m < v ? v : m; });
      const T shift = shift_of(m);
      const double total = accumulate_output<double>(base, p, [shift](T v) { return exp_of<T>(v - shift); });
      out[o] = static_cast<T>(std::log(total) + shift);
    });
    return;
  }
  for_each_block(x, p, [&](int64_t j, const T* base, int64_t k) {
    T mx[kBlock];
    double total[kBlock] = {};
    std::fill(mx, mx + k, lowest);
    visit_rows(base, p, [&](const T* row) {
      for (int64_t i = 0; i < k; ++i) mx[i] = mx[i] < row[i] ? row[i] : mx[i];
    });
    for (int64_t i = 0; i < k; ++i) mx[i] = shift_of(mx[i]);
    visit_rows(base, p, [&](const T* row) {
      for (int64_t i = 0; i < k; ++i) total[i] += exp_of<T>(row[i] - mx[i]);
    });
    for (int64_t i = 0; i < k; ++i) out[j + i] = static_cast<T>(std::log(total[i]) + mx[i]);
  });
}

template <typename T>
void softmax_forward(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, bool log) {
  if (inner == 1) {
    parallel_for(0, outer, grain_for(n), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o) softmax_row(x + o * n, y + o * n, n, log);
    });
    return;
  }
  // x, y are (outer, n, inner): one n-long column (stride inner) per (o, i). Columns are taken
  // kBlock at a time so that every pass reads contiguous memory.
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  parallel_for(0, outer * blocks, grain_for(n * kBlock), [&](int64_t lo, int64_t hi) {
    T mx[kBlock];
    double total[kBlock];
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t o = u / blocks, i0 = (u % blocks) * kBlock, k = std::min(kBlock, inner - i0);
      const T* xs = x + o * n * inner + i0;
      T* ys = y + o * n * inner + i0;
      std::fill(mx, mx + k, -std::numeric_limits<T>::infinity());
      std::fill(total, total + k, 0.0);
      for (int64_t r = 0; r < n; ++r)
        for (int64_t i = 0; i < k; ++i) mx[i] = mx[i] < xs[r * inner + i] ? xs[r * inner + i] : mx[i];
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t i = 0; i < k; ++i) {
          const T e = exp_of<T>(xs[r * inner + i] - mx[i]);
          total[i] += e;
          ys[r * inner + i] = e;
        }
      }
      for (int64_t i = 0; i < k; ++i) total[i] = log ? std::log(total[i]) : 1.0 / total[i];
      for (int64_t r = 0; r < n; ++r) {
        for (int64_t i = 0; i < k; ++i) {
          T& out = ys[r * inner + i];
          out = log ? static_cast<T>((xs[r * inner + i] - mx[i]) - total[i]) : static_cast<T>(out * total[i]);
        }
      }
    }
  });
}

template <typename T>
void softmax_backward(const T* y, const T* g, T* gx, int64_t outer, int64_t n, int64_t inner, bool log) {
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  parallel_for(0, outer * blocks, grain_for(n * std::min(inner, kBlock)), [&](int64_t lo, int64_t hi) {
    double total[kBlock];
    for (int64_t u = lo; u < hi; ++u) {
      const int64_t o = u / blocks, i0 = (u % blocks) * kBlock, k = std::min(kBlock, inner - i0);
      const int64_t start = o * n * inner + i0;
      if (inner == 1) {
        // One contiguous row: vectorised sums.
        total[0] = 0;
        if (log) {
          total[0] = sum_run<double>(g + start, n, 1);
        } else {
          for (int64_t r = 0; r < n; ++r) gx[start + r] = g[start + r] * y[start + r];
          total[0] = sum_run<double>(gx + start, n, 1);
        }
      } else {
        std::fill(total, total + k, 0.0);
        for (int64_t r = 0; r < n; ++r) {
          const int64_t at = start + r * inner;
          for (int64_t i = 0; i < k; ++i) total[i] += log ? g[at + i] : g[at + i] * y[at + i];
        }
      }
      for (int64_t r = 0; r < n; ++r) {
        const int64_t at = start + r * inner;
        for (int64_t i = 0; i < k; ++i) {
          const T t = static_cast<T>(total[i]);
          gx[at + i] = log ? g[at + i] - exp_of<T>(y[at + i]) * t : y[at + i] * (g[at + i] - t);
        }
      }
    }
  });
}

template void sum<float, float>(const float*, const ReducePlan&, float*);
template void sum<double, double>(const double*, const ReducePlan&, double*);
template void sum<int64_t, int64_t>(const int64_t*, const ReducePlan&, int64_t*);
template void sum<uint8_t, int64_t>(const uint8_t*, const ReducePlan&, int64_t*);
template void mean<float>(const float*, const ReducePlan&, float*);
template void mean<double>(const double*, const ReducePlan&, double*);
template void arg_reduce<float, true>(const float*, const ReducePlan&, float*, int64_t*);
template void arg_reduce<float, false>(const float*, const ReducePlan&, float*, int64_t*);
template void arg_reduce<double, true>(const double*, const ReducePlan&, double*, int64_t*);
template void arg_reduce<double, false>(const double*, const ReducePlan&, double*, int64_t*);
template void arg_reduce<int64_t, true>(const int64_t*, const ReducePlan&, int64_t*, int64_t*);
template void arg_reduce<int64_t, false>(const int64_t*, const ReducePlan&, int64_t*, int64_t*);
template void arg_reduce<uint8_t, true>(const uint8_t*, const ReducePlan&, uint8_t*, int64_t*);
template void arg_reduce<uint8_t, false>(const uint8_t*, const ReducePlan&, uint8_t*, int64_t*);
template void var<float>(const float*, const ReducePlan&, int64_t, float*);
template void var<double>(const double*, const ReducePlan&, int64_t, double*);
template void logsumexp<float>(const float*, const ReducePlan&, float*);
template void logsumexp<double>(const double*, const ReducePlan&, double*);
template void softmax_forward<float>(const float*, float*, int64_t, int64_t, int64_t, bool);
template void softmax_forward<double>(const double*, double*, int64_t, int64_t, int64_t, bool);
template void softmax_backward<float>(const float*, const float*, float*, int64_t, int64_t, int64_t, bool);
template void softmax_backward<double>(const double*, const double*, double*, int64_t, int64_t, int64_t, bool);

}  // namespace nabla::kernels
