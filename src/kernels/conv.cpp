// Convolution kernels: the reference loops (one loop nest visiting every product the
// convolution is made of) and the GEMM fast paths, whose operands conv_layout.hpp builds
// (vol2col, or phase planes read as columns or by one GEMM per kernel tap). See conv.hpp for
// the layouts of the arguments.
//
// Fast-path shapes, per image n and group g (cig = in_channels / groups, cog = out_channels /
// groups, K = cig * kD * kH * kW, L = oD * oH * oW):
//   col   is (in_channels * kD * kH * kW, L): vol2col of x_n; group g's rows are [g K, (g+1) K)
//   w_g   is (cog, K), rows [g cog, (g+1) cog) of the weight read as (out_channels, K)
//   y_n,g is (cog, L)
// forward          y_n,g = w_g col_g
// backward input   col_g = w_g^T gy_n,g, then col2vol adds each column entry back to its input
// backward weight  gw_g += gy_n,g col_g^T
#include "kernels/conv.hpp"

#include "kernels/conv_layout.hpp"
#include "kernels/gemm.hpp"
#include "kernels/parallel.hpp"
#include "kernels/reduce.hpp"

#include <algorithm>
#include <memory>
#include <vector>

namespace nabla::kernels {
namespace {

using namespace conv_layout;

// ---- reference ------------------------------------------------------------------------------

// Calls f(y_index, w_index, x_index) for every output element, input channel of its group and
// kernel tap whose input position lies inside the input: the convolution as a list of products.
template <typename F>
void for_each_product(const ConvShape& s, F&& f) {
  const int64_t cig = s.in_channels / s.groups, cog = s.out_channels / s.groups;
  const auto &in = s.input, &out = s.output, &k = s.kernel, &st = s.stride, &p = s.padding, &d = s.dilation;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.out_channels; ++o)
      for (int64_t od = 0; od < out[0]; ++od)
        for (int64_t oh = 0; oh < out[1]; ++oh)
          for (int64_t ow = 0; ow < out[2]; ++ow) {
            const int64_t y_index = (((n * s.out_channels + o) * out[0] + od) * out[1] + oh) * out[2] + ow;
            for (int64_t ci = 0; ci < cig; ++ci) {
              const int64_t c = (o / cog) * cig + ci;
              for (int64_t kd = 0; kd < k[0]; ++kd)
                for (int64_t kh = 0; kh < k[1]; ++kh)
                  for (int64_t kw = 0; kw < k[2]; ++kw) {
                    const int64_t id = od * st[0] - p[0] + kd * d[0];
                    const int64_t ih = oh * st[1] - p[1] + kh * d[1];
                    const int64_t iw = ow * st[2] - p[2] + kw * d[2];
                    if (id < 0 || id >= in[0] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[2]) continue;
                    const int64_t x_index = (((n * s.in_channels + c) * in[0] + id) * in[1] + ih) * in[2] + iw;
                    const int64_t w_index = (((o * cig + ci) * k[0] + kd) * k[1] + kh) * k[2] + kw;
                    f(y_index, w_index, x_index);
                  }
            }
          }
}

// ---- tap GEMMs on the phase planes -------------------------------------------------------------
// The column-matrix rows of one kernel tap over the channels of a group are slices of the phase
// planes at one offset: a (cig, columns) matrix whose leading dimension is the plane. So a GEMM
// can read its B operand straight from the planes, one GEMM per tap, instead of from a column
// matrix copied out of them; the backward input GEMMs add into the planes' gradient the same
// way. That saves writing and re-reading the K x columns column matrix and, backward, adding its
// rows back: per image 23-44% faster for ResNet's 3x3 layers of 16 to 64 channels, the same for
// its 64-channel weight gradient (one core, OpenBLAS 0.3.21, bench/conv_taps_bench). With few
// input channels per group the many thin GEMMs lose to one (6 channels: 4-21% slower), hence
// the floor.
constexpr int64_t kTapMinChannels = 8;

// ---- the column matrix of one image, either way -------------------------------------------------

// Per-image GEMM sizes: col is (in_channels * kernel volume, columns), group g's rows
// [g K, (g+1) K); columns = L, or the wide length. Leading dimensions are at least 1, as BLAS
// requires even when a size is 0. `tap_gemms`: wide columns read by one GEMM per kernel tap,
// never copied out.
struct Gemms {
  int64_t cig, cog, K, L, columns, x_size, y_size, taps;
  bool wide, tap_gemms;
  Wide w;
  int64_t ld_k() const { return std::max<int64_t>(K, 1); }
  int64_t ld_c() const { return std::max<int64_t>(columns, 1); }
  // Tap GEMM operands of group grp and tap t: the offset of its (cog, cig) weight matrix in
  // weight_by_tap's layout (groups, taps, cog, cig), and of its (cig, columns) slice of the phase
  // planes (leading dimension w.plane).
  int64_t tap_weight(int64_t grp, int64_t t) const { return (grp * taps + t) * cog * cig; }
  int64_t tap_slice(int64_t grp, int64_t t) const {
    return grp * cig * w.plane + w.tap_offsets[static_cast<size_t>(t)];
  }
};

Gemms gemms(const ConvShape& s) {
  Gemms g;
  g.cig = s.in_channels / s.groups;
  g.cog = s.out_channels / s.groups;
  g.K = g.cig * s.kernel_volume();
  g.L = s.output_volume();
  g.taps = s.kernel_volume();
  g.x_size = s.in_channels * s.input_volume();
  g.y_size = s.out_channels * g.L;
  g.wide = use_wide(s) && !columns_are_input(s);
  g.tap_gemms = g.wide && g.cig >= kTapMinChannels;
  g.w = g.wide ? wide_geometry(s) : Wide{};
  g.columns = g.wide ? g.w.length : g.L;
  return g;
}

// The weight regrouped for tap GEMMs, (groups, taps, cog, cig): each tap's (cog, cig) matrix is
// contiguous.
template <typename T>
std::vector<T> weight_by_tap(const ConvShape& s, const Gemms& g, const T* w) {
  std::vector<T> by_tap(static_cast<size_t>(s.out_channels * g.K));
  for (int64_t grp = 0; grp < s.groups; ++grp)
    for (int64_t o = 0; o < g.cog; ++o)
      for (int64_t c = 0; c < g.cig; ++c)
        for (int64_t t = 0; t < g.taps; ++t)
          by_tap[static_cast<size_t>(g.tap_weight(grp, t) + o * g.cig + c)] =
              w[((grp * g.cog + o) * g.cig + c) * g.taps + t];
  return by_tap;
}

// Scratch of one thread's chunk of images, allocated once and reused for each image: the
// column matrix (none when it is the image itself or tap GEMMs read the phase planes), and for
// wide columns the phase planes and an output-sized (out_channels, columns) matrix.
template <typename T>
struct Scratch {
  std::vector<T> col, planes, out;
  Scratch(const ConvShape& s, const Gemms& g) {
    if (!columns_are_input(s) && !g.tap_gemms) col.resize(static_cast<size_t>(s.in_channels * g.taps * g.columns));
    if (g.wide) {
      planes.resize(static_cast<size_t>(static_cast<int64_t>(g.w.phases.size()) * s.in_channels * g.w.plane));
      out.resize(static_cast<size_t>(s.out_channels * g.columns));
    }
  }
};

// The column matrix of image n: x_n itself, its vol2col, or its wide columns.
template <typename T>
const T* columns_of(const ConvShape& s, const Gemms& g, const T* x, int64_t n, Scratch<T>& scratch) {
  const T* image = x + n * g.x_size;
  if (scratch.col.empty()) return image;
  T* col = scratch.col.data();
  if (!g.wide) {
    vol2col(s, image, col);
    return col;
  }
  split_phases(s, g.w, image, scratch.planes.data());
  const T* planes = scratch.planes.data();
  for_each_wide_row(s, g.w, [&](int64_t row, int64_t offset) {
    std::copy_n(planes + offset, g.columns, col + row * g.columns);
  });
  return col;
}

// gy_n as the GEMMs see it: gy_n itself, or widened to (out_channels, columns) with zeros in
// the extra columns.
template <typename T>
const T* output_grad_of(const ConvShape& s, const Gemms& g, const T* gy, int64_t n, Scratch<T>& scratch) {
  const T* gyn = gy + n * g.y_size;
  if (!g.wide) return gyn;
  T* out = scratch.out.data();
  const int64_t out_h = s.output[1], out_w = s.output[2];
  for (int64_t o = 0; o < s.out_channels; ++o)
    for (int64_t oh = 0; oh < out_h; ++oh) {
      T* dst = out + o * g.columns + oh * g.w.width;
      copy_row(gyn + (o * out_h + oh) * out_w, out_w, dst);
      for (int64_t j = out_w; j < g.w.width; ++j) dst[j] = T(0);
    }
  return out;
}

// Number of image blocks the weight gradient is summed over: up to 8, so two to eight threads
// have work, while the partial sums (one weight-sized buffer per block) stay within 4M values.
// Depends on the shape only, never on the thread count.
int64_t weight_grad_blocks(int64_t batch, int64_t weight_size) {
  constexpr int64_t kMaxBlocks = 8, kPartialBudget = int64_t{1} << 22;
  const int64_t by_memory = std::max<int64_t>(1, kPartialBudget / std::max<int64_t>(weight_size, 1));
  return std::max<int64_t>(1, std::min({batch, kMaxBlocks, by_memory}));
}

}  // namespace

// ---- reference entry points -------------------------------------------------------------------

template <typename T>
void conv_forward_reference(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const int64_t L = s.output_volume();
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t o = 0; o < s.out_channels; ++o)
      std::fill_n(y + (n * s.out_channels + o) * L, L, b ? b[o] : T(0));
  for_each_product(s, [&](int64_t yi, int64_t wi, int64_t xi) { y[yi] += x[xi] * w[wi]; });
}

template <typename T>
void conv_backward_input_reference(const ConvShape& s, const T* gy, const T* w, T* gx) {
  std::fill_n(gx, s.batch * s.in_channels * s.input_volume(), T(0));
  for_each_product(s, [&](int64_t yi, int64_t wi, int64_t xi) { gx[xi] += gy[yi] * w[wi]; });
}

template <typename T>
void conv_backward_weight_reference(const ConvShape& s, const T* x, const T* gy, T* gw) {
  std::fill_n(gw, s.out_channels * (s.in_channels / s.groups) * s.kernel_volume(), T(0));
  for_each_product(s, [&](int64_t yi, int64_t wi, int64_t xi) { gw[wi] += gy[yi] * x[xi]; });
}

// ---- fast paths -------------------------------------------------------------------------------

template <typename T>
void conv_forward(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const Gemms g = gemms(s);
  const std::vector<T> by_tap = g.tap_gemms ? weight_by_tap(s, g, w) : std::vector<T>();
  parallel_for(0, s.batch, 1, [&](int64_t first, int64_t last) {
    Scratch<T> scratch(s, g);
    for (int64_t n = first; n < last; ++n) {
      T* yn = y + n * g.y_size;
      T* out = g.wide ? scratch.out.data() : yn;
      if (g.tap_gemms) {  // out_g = sum over taps t of w_g,t (plane slice of tap t)
        const T* planes = scratch.planes.data();
        split_phases(s, g.w, x + n * g.x_size, scratch.planes.data());
        for (int64_t grp = 0; grp < s.groups; ++grp)
          for (int64_t t = 0; t < g.taps; ++t)
            gemm(false, false, g.cog, g.columns, g.cig, T(1), by_tap.data() + g.tap_weight(grp, t), g.cig,
                 planes + g.tap_slice(grp, t), g.w.plane, t == 0 ? T(0) : T(1), out + grp * g.cog * g.columns,
                 g.ld_c());
      } else {
        const T* col = columns_of(s, g, x, n, scratch);
        for (int64_t grp = 0; grp < s.groups; ++grp)
          gemm(false, false, g.cog, g.columns, g.K, T(1), w + grp * g.cog * g.K, g.ld_k(),
               col + grp * g.K * g.columns, g.ld_c(), T(0), out + grp * g.cog * g.columns, g.ld_c());
      }
      if (g.wide) {  // keep the first oW of every Wp columns
        const int64_t out_h = s.output[1], out_w = s.output[2];
        for (int64_t o = 0; o < s.out_channels; ++o)
          for (int64_t oh = 0; oh < out_h; ++oh)
            copy_row(out + o * g.columns + oh * g.w.width, out_w, yn + (o * out_h + oh) * out_w);
      }
      if (b) add_channel_bias(1, s.out_channels, g.L, b, yn);
    }
  });
}

template <typename T>
void conv_backward_input(const ConvShape& s, const T* gy, const T* w, T* gx) {
  const Gemms g = gemms(s);
  const std::vector<T> by_tap = g.tap_gemms ? weight_by_tap(s, g, w) : std::vector<T>();
  parallel_for(0, s.batch, 1, [&](int64_t first, int64_t last) {
    Scratch<T> scratch(s, g);
    for (int64_t n = first; n < last; ++n) {
      T* gxn = gx + n * g.x_size;
      const T* gyn = output_grad_of(s, g, gy, n, scratch);
      if (g.tap_gemms) {  // the plane slice of tap t += w_g,t^T gy_g, taps in order
        T* gplanes = scratch.planes.data();
        std::fill(scratch.planes.begin(), scratch.planes.end(), T(0));
        for (int64_t grp = 0; grp < s.groups; ++grp)
          for (int64_t t = 0; t < g.taps; ++t)
            gemm(true, false, g.cig, g.columns, g.cog, T(1), by_tap.data() + g.tap_weight(grp, t), g.cig,
                 gyn + grp * g.cog * g.columns, g.ld_c(), T(1), gplanes + g.tap_slice(grp, t), g.w.plane);
        merge_phases(s, g.w, gplanes, gxn);
        continue;
      }
      T* col = scratch.col.empty() ? gxn : scratch.col.data();  // 1x1 kernels: the columns are gx_n
      for (int64_t grp = 0; grp < s.groups; ++grp)
        gemm(true, false, g.K, g.columns, g.cog, T(1), w + grp * g.cog * g.K, g.ld_k(), gyn + grp * g.cog * g.columns,
             g.ld_c(), T(0), col + grp * g.K * g.columns, g.ld_c());
      if (g.wide) {
        // Each row adds back onto its slice of the phase planes (its extra columns hold zeros).
        T* gplanes = scratch.planes.data();
        std::fill(scratch.planes.begin(), scratch.planes.end(), T(0));
        for_each_wide_row(s, g.w, [&](int64_t row, int64_t offset) {
          const T* from = col + row * g.columns;
          T* to = gplanes + offset;
          for (int64_t j = 0; j < g.columns; ++j) to[j] += from[j];
        });
        merge_phases(s, g.w, gplanes, gxn);
      } else if (!scratch.col.empty()) {
        std::fill_n(gxn, g.x_size, T(0));
        col2vol(s, col, gxn);
      }
    }
  });
}

template <typename T>
void conv_backward_weight(const ConvShape& s, const T* x, const T* gy, T* gw) {
  const Gemms g = gemms(s);
  const int64_t weight_size = s.out_channels * g.K;
  if (s.batch == 0) {
    std::fill_n(gw, weight_size, T(0));
    return;
  }
  // Each block of images sums into its own buffer, running its images in order: block 0 into gw
  // (column GEMMs) or, for tap GEMMs, every block into partial[b] laid out as weight_by_tap's.
  const int64_t blocks = weight_grad_blocks(s.batch, weight_size);
  std::vector<T> partial(static_cast<size_t>((g.tap_gemms ? blocks : blocks - 1) * weight_size));
  parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    Scratch<T> scratch(s, g);
    for (int64_t blk = first; blk < last; ++blk) {
      T* acc = g.tap_gemms ? partial.data() + blk * weight_size
                      : blk == 0 ? gw : partial.data() + (blk - 1) * weight_size;
      const int64_t n0 = s.batch * blk / blocks, n1 = s.batch * (blk + 1) / blocks;
      for (int64_t n = n0; n < n1; ++n) {
        const T* gyn = output_grad_of(s, g, gy, n, scratch);
        const T beta = n == n0 ? T(0) : T(1);
        if (g.tap_gemms) {  // gw_g,t += gy_g (plane slice of tap t)^T
          const T* planes = scratch.planes.data();
          split_phases(s, g.w, x + n * g.x_size, scratch.planes.data());
          for (int64_t grp = 0; grp < s.groups; ++grp)
            for (int64_t t = 0; t < g.taps; ++t)
              gemm(false, true, g.cog, g.cig, g.columns, T(1), gyn + grp * g.cog * g.columns, g.ld_c(),
                   planes + g.tap_slice(grp, t), g.w.plane, beta, acc + g.tap_weight(grp, t), g.cig);
          continue;
        }
        const T* col = columns_of(s, g, x, n, scratch);
        for (int64_t grp = 0; grp < s.groups; ++grp)
          gemm(false, true, g.cog, g.K, g.columns, T(1), gyn + grp * g.cog * g.columns, g.ld_c(),
               col + grp * g.K * g.columns, g.ld_c(), beta, acc + grp * g.cog * g.K, g.ld_k());
      }
    }
  });
  if (g.tap_gemms) {
    // gw (groups, cog, cig, taps) = ((block 0 + block 1) + block 2) + ..., back from tap order.
    parallel_for(0, s.groups * g.cog, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t row = lo; row < hi; ++row) {
        const int64_t grp = row / g.cog, o = row % g.cog;
        for (int64_t c = 0; c < g.cig; ++c)
          for (int64_t t = 0; t < g.taps; ++t) {
            const int64_t from = g.tap_weight(grp, t) + o * g.cig + c;
            T sum = partial[static_cast<size_t>(from)];
            for (int64_t blk = 1; blk < blocks; ++blk) sum += partial[static_cast<size_t>(blk * weight_size + from)];
            gw[(row * g.cig + c) * g.taps + t] = sum;
          }
      }
    });
    return;
  }
  // gw = ((block 0 + block 1) + block 2) + ..., element by element.
  parallel_for(0, weight_size, 1 << 14, [&](int64_t lo, int64_t hi) {
    for (int64_t blk = 1; blk < blocks; ++blk) {
      const T* p = partial.data() + (blk - 1) * weight_size;
      for (int64_t e = lo; e < hi; ++e) gw[e] += p[e];
    }
  });
}

// ---- bias -------------------------------------------------------------------------------------

template <typename T>
void add_channel_bias(int64_t batch, int64_t channels, int64_t volume, const T* b, T* y) {
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      T* row = y + (n * channels + c) * volume;
      const T v = b[c];
      for (int64_t i = 0; i < volume; ++i) row[i] += v;
    }
}

template <typename T>
void channel_sums(int64_t batch, int64_t channels, int64_t volume, const T* gy, T* gb) {
  // The general reduction: eight accumulators per run (a serial chain of additions would be
  // latency-bound), float32 in double, a fixed order for any thread count.
  const ReducePlan plan = plan_reduce({batch, channels, volume}, {channels * volume, volume, 1}, {true, false, true});
  sum(gy, plan, gb);
}

#define NABLA_CONV_INSTANTIATE(T)                                                                  \
  template void conv_forward_reference<T>(const ConvShape&, const T*, const T*, const T*, T*);   \
  template void conv_backward_input_reference<T>(const ConvShape&, const T*, const T*, T*);      \
  template void conv_backward_weight_reference<T>(const ConvShape&, const T*, const T*, T*);     \
  template void conv_forward<T>(const ConvShape&, const T*, const T*, const T*, T*);             \
  template void conv_backward_input<T>(const ConvShape&, const T*, const T*, T*);                \
  template void conv_backward_weight<T>(const ConvShape&, const T*, const T*, T*);               \
  template void add_channel_bias<T>(int64_t, int64_t, int64_t, const T*, T*);                    \
  template void channel_sums<T>(int64_t, int64_t, int64_t, const T*, T*);

NABLA_CONV_INSTANTIATE(float)
NABLA_CONV_INSTANTIATE(double)
#undef NABLA_CONV_INSTANTIATE

}  // namespace nabla::kernels
